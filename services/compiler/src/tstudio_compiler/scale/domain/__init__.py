"""Pure rules of the compiler at scale: content keys, LRU choice, job state, relink scoring."""
