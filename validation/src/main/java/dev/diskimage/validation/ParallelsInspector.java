package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Recognises Parallels / Virtuozzo ploop images (qemu {@code parallels}, Glance {@code ploop})
 * from their 64-byte little-endian header and block allocation table, following QEMU's
 * {@code docs/interop/parallels.txt} and the checks {@code block/parallels.c} (qemu 7.2) applies
 * on open: version 2, a non-zero cluster size, a BAT inside the file, every allocated cluster
 * inside the file, and a format extension cluster that is what it claims to be.
 *
 * <p>The format has no backing file field, so a valid image never references anything outside
 * itself. Stateless and thread-safe.
 */
final class ParallelsInspector implements FormatInspector {

    // parallels.txt: "WithoutFreeSpace" (BAT in sectors, 32-bit size) or "WithouFreSpacExt"
    // (BAT in clusters, 64-bit size) at offset 0.
    static final byte[] MAGIC_LEGACY = "WithoutFreeSpace".getBytes(StandardCharsets.US_ASCII);
    static final byte[] MAGIC_EXT = "WithouFreSpacExt".getBytes(StandardCharsets.US_ASCII);
    // parallels.txt: the header is 64 bytes, all fields little-endian; the BAT follows it.
    static final int HEADER_LENGTH = 64;
    static final int OFF_VERSION = 16;
    static final int OFF_TRACKS = 28;
    static final int OFF_BAT_ENTRIES = 32;
    static final int OFF_NB_SECTORS = 36;
    static final int OFF_INUSE = 44;
    static final int OFF_DATA_OFF = 48;
    static final int OFF_FLAGS = 52;
    static final int OFF_EXT_OFF = 56;
    // parallels.txt: version 2 is the only one.
    static final long VERSION = 2;
    // block/parallels.c: HEADER_INUSE_MAGIC, set while an image is open read-write.
    static final long INUSE_MAGIC = 0x746F6E59L;
    // block/parallels.c: tracks (sectors per cluster) above INT32_MAX / 513 are "Too big cluster".
    static final long MAX_TRACKS = Integer.MAX_VALUE / 513;
    // block/parallels.c: a BAT above INT_MAX / 4 entries is "Catalog too large".
    static final long MAX_BAT_ENTRIES = Integer.MAX_VALUE / 4;

    // parallels.txt, format extension: one cluster at ext_off (in sectors) starting with this
    // magic and an MD5 of the rest of the cluster, then a list of feature headers.
    static final long EXT_MAGIC = 0xAB234CEF23DCEA87L;
    static final int EXT_HEADER_LENGTH = 24;
    static final int FEATURE_HEADER_LENGTH = 24;
    static final long FEATURE_END = 0;
    static final long FEATURE_DIRTY_BITMAP = 0x20385FAE252CB34AL;
    // Not a spec limit: the MD5 is verified when the extension cluster is this small or smaller.
    static final int EXT_CHECKSUM_MAX_CLUSTER = 64 << 10;
    // Not a spec limit: a real extension has a handful of features; more means a crafted one.
    static final int MAX_FEATURES = 64;

    @Override
    public DiskFormat format() {
        return DiskFormat.PARALLELS;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer magic = image.read(0, MAGIC_EXT.length);
        boolean legacy = Magic.startsWith(magic, MAGIC_LEGACY);
        if (!legacy && !Magic.startsWith(magic, MAGIC_EXT)) {
            return;
        }
        result.magicFound();
        long fileSize = image.size();
        ByteBuffer header = image.readExactly(0, HEADER_LENGTH, "Parallels header")
                .order(ByteOrder.LITTLE_ENDIAN);
        FindingCode bad = FindingCode.MALFORMED_HEADER;

        long version = Bounds.u32(header, OFF_VERSION);
        if (version != VERSION) {
            throw new InspectionFailure(bad, OFF_VERSION, "Parallels version " + version + " is not supported (only 2)");
        }
        long tracks = Bounds.requireRange(Bounds.u32(header, OFF_TRACKS), 1, MAX_TRACKS, OFF_TRACKS, bad,
                "Parallels sectors per cluster (tracks)");
        long clusterSize = tracks * Sectors.SIZE;
        long batEntries = Bounds.requireRange(Bounds.u32(header, OFF_BAT_ENTRIES), 0, MAX_BAT_ENTRIES,
                OFF_BAT_ENTRIES, bad, "Parallels bat_entries");
        // block/parallels.c: the legacy magic keeps only the low 32 bits of nb_sectors.
        long sectors = legacy ? Bounds.u32(header, OFF_NB_SECTORS)
                : Bounds.requireRange(Bounds.u64(header, OFF_NB_SECTORS, 0, bad, "Parallels nb_sectors"), 0,
                        Long.MAX_VALUE / Sectors.SIZE, OFF_NB_SECTORS, bad, "Parallels nb_sectors");
        // qemu creates exactly enough BAT entries for the disk; fewer would leave a tail unmapped.
        if (batEntries * tracks < sectors) {
            throw new InspectionFailure(bad, OFF_BAT_ENTRIES, "Parallels BAT of " + batEntries + " clusters of "
                    + tracks + " sectors cannot map the " + sectors + " sectors of the disk");
        }

        long batEnd = HEADER_LENGTH + batEntries * Integer.BYTES;
        Bounds.requireWithin(HEADER_LENGTH, batEnd - HEADER_LENGTH, fileSize,
                FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS, "Parallels BAT");
        // block/parallels.c: data_off 0 means "right after the BAT, sector aligned".
        long dataOff = Bounds.u32(header, OFF_DATA_OFF);
        long dataStart = dataOff == 0 ? Sectors.roundUp(batEnd) : dataOff * Sectors.SIZE;
        if (dataStart < batEnd || dataStart > fileSize) {
            throw new InspectionFailure(FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS, OFF_DATA_OFF,
                    "Parallels data_off " + dataOff + " overlaps the BAT ending at " + batEnd
                            + " or lies beyond the image of " + fileSize + " bytes");
        }

        long inuse = Bounds.u32(header, OFF_INUSE);
        if (inuse == INUSE_MAGIC) {
            result.warn(FindingCode.PARALLELS_DIRTY, OFF_INUSE,
                    "Parallels image was not closed cleanly (in-use mark set); qemu opens it read-only only");
            result.detail("dirty", true);
        } else if (inuse != 0) {
            throw new InspectionFailure(bad, OFF_INUSE, "Parallels inuse field 0x" + Long.toHexString(inuse)
                    + " is neither 0 nor the in-use mark");
        }

        // block/parallels.c: BAT entries count sectors (legacy magic) or clusters.
        long multiplier = legacy ? 1 : tracks;
        long allocated = checkBat(image, batEntries, multiplier, tracks, dataStart, fileSize);

        long extOff = Bounds.u64(header, OFF_EXT_OFF, 0, bad, "Parallels ext_off");
        if (extOff != 0) {
            checkFormatExtension(image, result, extOff, clusterSize, batEnd, fileSize);
        }

        result.variant(legacy ? "legacy" : "extended")
                .detail("cluster_size", clusterSize)
                .detail("bat_entries", batEntries)
                .detail("allocated_clusters", allocated)
                .detail("flags", Bounds.u32(header, OFF_FLAGS));
        result.virtualSize(sectors * Sectors.SIZE);
        result.matched();
    }

    /**
     * Checks that every allocated cluster in the BAT lies after the BAT and wholly inside the
     * file, as {@code block/parallels.c} requires on open ("Offset in BAT is out of image");
     * returns the number of allocated entries. The whole table is read from the budget.
     */
    private static long checkBat(ImageBytes image, long batEntries, long multiplier, long tracks, long dataStart,
            long fileSize) {
        // block/parallels.c compares in whole sectors: a partial last sector does not count.
        long fileSectors = fileSize / Sectors.SIZE;
        long firstDataSector = dataStart / Sectors.SIZE;
        long[] allocated = {0};
        AllocationTable.forEachEntry(image, HEADER_LENGTH, batEntries, ByteOrder.LITTLE_ENDIAN, "Parallels BAT",
                "Parallels images this large (above about 256 GiB with 1 MiB clusters under the default 1 MiB)",
                (index, entry, at) -> {
                    if (entry == 0) {
                        return;
                    }
                    allocated[0]++;
                    // entry * multiplier < 2^32 * 2^22: no overflow.
                    long sector = entry * multiplier;
                    if (sector < firstDataSector || sector > fileSectors - tracks) {
                        throw new InspectionFailure(FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS, at,
                                "Parallels BAT entry " + index + " points at sector " + sector
                                        + ", outside the data area of the image (sectors " + firstDataSector + ".."
                                        + fileSectors + ")");
                    }
                });
        return allocated[0];
    }

    /**
     * qemu 7.2 reads the format extension when it opens an image read-only and refuses the image
     * when the magic, the checksum or a feature header is wrong; this checks the same, bounded.
     * The dirty bitmap feature's own tables are not followed (they only hold bitmaps).
     */
    private static void checkFormatExtension(ImageBytes image, InspectionBuilder result, long extOff,
            long clusterSize, long batEnd, long fileSize) {
        FindingCode bad = FindingCode.MALFORMED_HEADER;
        if (extOff > Long.MAX_VALUE / Sectors.SIZE) {
            throw new InspectionFailure(bad, OFF_EXT_OFF, "Parallels ext_off " + extOff + " is absurd");
        }
        long offset = extOff * Sectors.SIZE;
        if (offset < batEnd) {
            throw new InspectionFailure(bad, OFF_EXT_OFF, "Parallels format extension at " + offset
                    + " overlaps the header or the BAT ending at " + batEnd);
        }
        Bounds.requireWithin(offset, clusterSize, fileSize, FindingCode.PARALLELS_TABLE_OUT_OF_BOUNDS,
                "Parallels format extension cluster");
        ByteBuffer head = image.readExactly(offset, EXT_HEADER_LENGTH, "Parallels format extension header")
                .order(ByteOrder.LITTLE_ENDIAN);
        if (head.getLong(0) != EXT_MAGIC) {
            throw new InspectionFailure(bad, offset, "Parallels format extension magic is 0x"
                    + Long.toHexString(head.getLong(0)));
        }
        if (clusterSize <= EXT_CHECKSUM_MAX_CLUSTER) {
            verifyExtensionChecksum(image, offset, (int) clusterSize, head);
            result.detail("format_extension_checksum_verified", true);
        }
        long position = EXT_HEADER_LENGTH;
        for (int count = 0; ; count++) {
            if (count >= MAX_FEATURES || clusterSize - position < FEATURE_HEADER_LENGTH) {
                throw new InspectionFailure(bad, offset + position,
                        "Parallels format extension has no end-of-features mark within its cluster");
            }
            ByteBuffer feature = image.readExactly(offset + position, FEATURE_HEADER_LENGTH,
                    "Parallels format extension feature").order(ByteOrder.LITTLE_ENDIAN);
            long magic = feature.getLong(0);
            long flags = feature.getLong(8);
            long dataSize = Bounds.u32(feature, 16);
            position += FEATURE_HEADER_LENGTH;
            // parallels-ext.c: feature flags are unsupported and the data must fit the cluster.
            if (flags != 0 || dataSize > clusterSize - position) {
                throw new InspectionFailure(bad, offset + position - FEATURE_HEADER_LENGTH,
                        "Parallels format extension feature 0x" + Long.toHexString(magic) + " has flags 0x"
                                + Long.toHexString(flags) + " or data beyond its cluster");
            }
            if (magic == FEATURE_END) {
                result.detail("format_extension_features", count);
                return;
            }
            if (magic != FEATURE_DIRTY_BITMAP) {
                throw new InspectionFailure(bad, offset + position - FEATURE_HEADER_LENGTH,
                        "Parallels format extension feature 0x" + Long.toHexString(magic) + " is unknown");
            }
            // parallels-ext.c: the next feature starts 8-byte aligned after this one's data.
            position = roundUp(position + dataSize, Long.BYTES);
        }
    }

    private static void verifyExtensionChecksum(ImageBytes image, long offset, int clusterSize, ByteBuffer head) {
        ByteBuffer cluster = image.readExactly(offset, clusterSize, "Parallels format extension cluster");
        // parallels-ext.c: the MD5 covers the cluster after the 24-byte extension header.
        byte[] computed = Checksums.digest("MD5", cluster, EXT_HEADER_LENGTH, clusterSize - EXT_HEADER_LENGTH);
        byte[] stored = new byte[16];
        head.get(Long.BYTES, stored);
        if (!Arrays.equals(stored, computed)) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset + Long.BYTES,
                    "Parallels format extension checksum does not match");
        }
    }

    private static long roundUp(long value, long unit) {
        return (value + unit - 1) / unit * unit;
    }
}
