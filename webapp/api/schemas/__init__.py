"""The request and response schemas of /api/v1 (XCreate, XUpdate, XPublic), one module per
resource: `fields` holds the field types they share, `bases` the wire rules.

Wire names are camelCase, generated from the Python names by one alias generator (never
spelled by hand). Requests are strict: a JSON string is never coerced to a number, nor a
number to a string, and unknown fields are refused. A PATCH body changes what it sends:
a field left out is left alone, and `null` is refused rather than read as "leave it".
Query strings are text by nature, so query schemas parse numbers from them (and still
refuse "1.5" or "ten"). Responses are read from domain objects, with ids as strings.

Every bound and choice here is the constant of the model or service that enforces it
(the service checks again, for the pages); the schema only makes it visible at the edge
and in the OpenAPI document.
"""
