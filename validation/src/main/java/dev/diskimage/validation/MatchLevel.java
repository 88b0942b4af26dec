package dev.diskimage.validation;

/** How strongly an inspector recognised its format in the bytes. */
enum MatchLevel {
    /** Not this format. */
    NONE,
    /**
     * The format's distinctive magic is there but the structure behind it is invalid or cut
     * short. Not a match for detection, but never silently "raw" either: it rejects the image.
     */
    MAGIC_ONLY,
    /** A structurally valid image of this format (findings may still reject it). */
    MATCH
}
