"""The API's views, one module per part of the site; thin: check the input with a
serializer, call the services and selectors the pages use, answer."""
