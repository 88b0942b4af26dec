package dev.diskimage.conversion.vhd;

/**
 * How {@link VhdChain#open(java.nio.file.Path, VhdChainOptions)} follows parent locators.
 *
 * @param allowOutsideDirectory whether a locator may name a parent outside the child's directory:
 *     an absolute path, a path climbing out with {@code ..}, or a symbolic link that leaves it.
 *     Off by default: an image must not make this program open files it did not ship with
 *     (DESIGN.md, "nothing outside the image")
 * @param maxDepth the most files a chain may have, top and base included, 1 or more
 */
public record VhdChainOptions(boolean allowOutsideDirectory, int maxDepth) {

    /**
     * A sane limit on a chain's length. XenServer's storage manager keeps chains far shorter
     * (its coalescing daemon works at around 30); each member holds a file descriptor and its
     * block allocation table in memory.
     */
    public static final int DEFAULT_MAX_DEPTH = 64;

    /**
     * Checks the depth.
     *
     * @param allowOutsideDirectory whether locators may leave the child's directory
     * @param maxDepth the most files a chain may have
     * @throws IllegalArgumentException when {@code maxDepth} is below 1
     */
    public VhdChainOptions {
        if (maxDepth < 1) {
            throw new IllegalArgumentException("a chain has at least one file, not " + maxDepth);
        }
    }

    /**
     * Locators stay inside the child's directory; at most {@link #DEFAULT_MAX_DEPTH} files.
     *
     * @return the defaults
     */
    public static VhdChainOptions defaults() {
        return new VhdChainOptions(false, DEFAULT_MAX_DEPTH);
    }

    /**
     * These options with locators allowed (or not) to leave the child's directory.
     *
     * @param allow whether they may
     * @return new options
     */
    public VhdChainOptions withOutsideDirectoryAllowed(boolean allow) {
        return new VhdChainOptions(allow, maxDepth);
    }
}
