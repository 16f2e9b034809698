"""Official documents (公文): the GB/T 9704 red-header generator and its format checker."""
