"""The knowledge base: schema, loader of the administrators' YAML files, and storage."""
