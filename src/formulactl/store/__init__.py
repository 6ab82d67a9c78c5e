"""Files of a store: finding it, strict YAML, schemas, field paths, caches, listing."""
