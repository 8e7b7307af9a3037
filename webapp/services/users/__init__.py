"""Users: the rules their fields follow (rules.py), registration, a member's profile and
password, what admins do to users (administration.py), and finding them (directory.py)."""
