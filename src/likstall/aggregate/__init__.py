"""SQL in the engine that turns microdata into small tables. Nothing here returns a row per person."""
