package dev.diskimage.conversion.images;

/**
 * One more check made in a download's single pass, beside the hashes and the validator: sees
 * every byte, then judges at the end (the image signature check is one).
 */
interface StreamCheck {

    /** Sees the next bytes of the image. */
    void update(byte[] bytes, int offset, int length);

    /** Judges the whole image; throws a typed error naming the image when it fails. */
    void finish();
}
