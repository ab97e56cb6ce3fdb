"""Small widgets and modal screens of the caller's desk.

Each widget renders plain values it is given (dataclasses from `callers/`);
none of them touches the database. Customer text is always data, never markup.
"""
