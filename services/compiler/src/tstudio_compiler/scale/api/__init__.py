"""Proto <-> library translation of the scale features, for the compiler servicer to delegate to."""
