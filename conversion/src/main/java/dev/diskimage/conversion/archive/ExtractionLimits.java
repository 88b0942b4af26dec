package dev.diskimage.conversion.archive;

/**
 * How much an archive may unpack to: the defence against tar bombs (an archive of a few kilobytes
 * that expands to millions of files or to terabytes). {@link TarGzExtractor} refuses an archive
 * that would exceed either limit before it writes the entry that would exceed it.
 *
 * <p>The defaults fit XenServer images, which hold one VHD per chain member ({@code 0.vhd} ...
 * {@code N.vhd}): a thousand entries is far more than any real chain, and 64 GiB expanded is more
 * than the VHD chains of common cloud images, while still less than the free space of a typical
 * conversion directory. A caller importing larger disks raises {@link #maxExpandedBytes()}; the
 * free-space check still runs for every file.
 *
 * @param maxEntries the most entries (files and directories, counted as the archive lists them)
 *     the archive may hold; at least 1
 * @param maxExpandedBytes the most bytes all regular files together may expand to; at least 1
 */
public record ExtractionLimits(int maxEntries, long maxExpandedBytes) {

    /** Default entry limit: far more than a VHD chain has members. */
    public static final int DEFAULT_MAX_ENTRIES = 1_000;

    /** Default expanded size limit: 64 GiB. */
    public static final long DEFAULT_MAX_EXPANDED_BYTES = 64L << 30;

    /**
     * Bytes of tar metadata (headers, PAX records, GNU long names, sparse maps, padding) allowed per
     * entry. A header is 512 bytes and a PAX record for a long name a few hundred more; the
     * allowance bounds what the reader holds in memory for one long name or PAX header, which the
     * expanded-size limit does not count.
     */
    static final long METADATA_BYTES_PER_ENTRY = 8L << 10;

    /**
     * Metadata allowed on top of the per-entry allowance: the two end-of-archive records and the
     * padding of the last 10 KiB tar block.
     */
    static final long METADATA_BASE_BYTES = 1L << 20;

    private static final ExtractionLimits DEFAULTS = new ExtractionLimits(DEFAULT_MAX_ENTRIES,
            DEFAULT_MAX_EXPANDED_BYTES);

    /**
     * Checks that both limits are positive.
     *
     * @param maxEntries the most entries the archive may hold; at least 1
     * @param maxExpandedBytes the most bytes its regular files may expand to; at least 1
     * @throws IllegalArgumentException if a limit is not positive
     */
    public ExtractionLimits {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1: " + maxEntries);
        }
        if (maxExpandedBytes < 1) {
            throw new IllegalArgumentException("maxExpandedBytes must be at least 1: " + maxExpandedBytes);
        }
    }

    /**
     * The default limits: {@value #DEFAULT_MAX_ENTRIES} entries, 64 GiB expanded.
     *
     * @return the default limits
     */
    public static ExtractionLimits defaults() {
        return DEFAULTS;
    }

    /**
     * These limits with another entry limit.
     *
     * @param entries the most entries the archive may hold; at least 1
     * @return the new limits
     * @throws IllegalArgumentException if {@code entries} is not positive
     */
    public ExtractionLimits withMaxEntries(int entries) {
        return new ExtractionLimits(entries, maxExpandedBytes);
    }

    /**
     * These limits with another expanded size limit.
     *
     * @param bytes the most bytes the regular files may expand to; at least 1
     * @return the new limits
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public ExtractionLimits withMaxExpandedBytes(long bytes) {
        return new ExtractionLimits(maxEntries, bytes);
    }

    /**
     * The most bytes of tar metadata (everything that is not file content) the reader may
     * decompress: {@link #METADATA_BYTES_PER_ENTRY} per allowed entry plus
     * {@link #METADATA_BASE_BYTES}. Bounds memory (a GNU long name or a PAX record is held whole)
     * and the work an archive of nothing but headers can cause.
     *
     * @return the metadata limit in bytes (about 9 MiB for the defaults)
     */
    long maxMetadataBytes() {
        return maxEntries * METADATA_BYTES_PER_ENTRY + METADATA_BASE_BYTES;
    }
}
