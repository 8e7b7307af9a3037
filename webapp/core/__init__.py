"""Domain basics that know no Flask, Werkzeug or SQLAlchemy: errors, money, email
addresses, ids, and the password and token primitives."""
