//! Krippendorff's α between coders (filled in by the agreement work).
