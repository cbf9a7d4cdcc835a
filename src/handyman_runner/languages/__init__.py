"""One module per language the sandbox runs (`registry.PLUGINS` lists them); `plugin` holds
the shape they share."""
