package dev.diskimage.core;

/**
 * What {@link QemuImg#compare} found: whether two images show the guest the same bytes. A closed
 * set, because qemu-img's exit codes 0 and 1 are the only answers; anything else is an error.
 */
public enum QemuImgComparison {
    /** Exit code 0: the guest sees the same content in both images. */
    IDENTICAL,
    /** Exit code 1: the content differs (or, in strict mode, the sizes or allocation differ). */
    DIFFERENT
}
