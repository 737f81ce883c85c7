"""The bundled example export and the generator that makes it."""
