package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Recognises Microsoft Hyper-V VHDX images: the file type identifier, the two checksummed
 * headers, the region table and the metadata region with its known items (block size, virtual
 * size, sector sizes, parent locator).
 *
 * <p>It reads only the structures (4 KiB per header, 64 KiB per region table, the 64 KiB
 * metadata table and its small items), never the BAT or the log. Like qemu, it takes the valid
 * header with the higher sequence number and reads the regions from the first region table;
 * items the spec marks required but this inspector does not know reject the image, because
 * readers that skip them would see a different disk.
 */
final class VhdxInspector implements FormatInspector {

    // MS-VHDX 2.2.1: file type identifier signature at offset 0.
    private static final byte[] SIGNATURE = "vhdxfile".getBytes(StandardCharsets.US_ASCII);

    // MS-VHDX 2.2.2: two 4 KiB headers at 64 KiB and 128 KiB, CRC-32C over 4 KiB.
    static final long HEADER_1 = 64 * 1024;
    static final long HEADER_2 = 128 * 1024;
    static final int HEADER_SIZE = 4096;
    private static final int HEADER_SIGNATURE = 0x64616568; // "head", little-endian
    private static final int H_CHECKSUM = 4;
    private static final int H_SEQUENCE = 8;
    private static final int H_LOG_GUID = 48;
    private static final int H_VERSION = 66;
    private static final int H_LOG_LENGTH = 68;
    private static final int H_LOG_OFFSET = 72;
    private static final int HEADER_VERSION = 1;

    // MS-VHDX 2.2.3: region tables at 192 KiB and 256 KiB, 64 KiB each, CRC-32C over 64 KiB.
    static final long REGION_TABLE_1 = 192 * 1024;
    static final long REGION_TABLE_2 = 256 * 1024;
    static final int REGION_TABLE_SIZE = 64 * 1024;
    private static final int REGION_SIGNATURE = 0x69676572; // "regi", little-endian
    private static final int RT_CHECKSUM = 4;
    private static final int RT_ENTRY_COUNT = 8;
    private static final int RT_HEADER_SIZE = 16;
    private static final int RT_ENTRY_SIZE = 32;
    private static final int MAX_ENTRIES = 2047;
    private static final long REGION_ALIGNMENT = 1 << 20;

    // MS-VHDX 2.2.3.2: the two regions every VHDX has.
    static final UUID BAT_REGION = UUID.fromString("2DC27766-F623-4200-9D64-115E9BFD4A08");
    static final UUID METADATA_REGION = UUID.fromString("8B7CA206-4790-4B9A-B8FE-575F050F886E");

    // MS-VHDX 2.6.1: metadata table, 64 KiB at the start of the metadata region.
    private static final byte[] METADATA_SIGNATURE = "metadata".getBytes(StandardCharsets.US_ASCII);
    static final int METADATA_TABLE_SIZE = 64 * 1024;
    private static final int MT_ENTRY_COUNT = 10;
    private static final int MT_HEADER_SIZE = 32;
    private static final int MT_ENTRY_SIZE = 32;
    private static final long MAX_ITEM_LENGTH = 1 << 20;
    private static final int FLAG_IS_REQUIRED = 1 << 2;

    // MS-VHDX 2.6.2: known metadata items.
    static final UUID FILE_PARAMETERS = UUID.fromString("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    static final UUID VIRTUAL_DISK_SIZE = UUID.fromString("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    static final UUID PAGE_83_DATA = UUID.fromString("BECA12AB-B2E6-4523-93EF-C309E000C746");
    static final UUID LOGICAL_SECTOR_SIZE = UUID.fromString("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    static final UUID PHYSICAL_SECTOR_SIZE = UUID.fromString("CDA348C7-445D-4471-9CC9-E9885251C556");
    static final UUID PARENT_LOCATOR = UUID.fromString("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
    private static final Set<UUID> MANDATORY_ITEMS = Set.of(FILE_PARAMETERS, VIRTUAL_DISK_SIZE, PAGE_83_DATA,
            LOGICAL_SECTOR_SIZE, PHYSICAL_SECTOR_SIZE);

    // MS-VHDX 2.6.2.1: file parameters flags and block size limits.
    static final int LEAVE_BLOCKS_ALLOCATED = 1;
    static final int HAS_PARENT = 1 << 1;
    private static final long MIN_BLOCK_SIZE = 1L << 20;
    private static final long MAX_BLOCK_SIZE = 256L << 20;
    // MS-VHDX 2.6.2.2: at most 64 TiB.
    static final long MAX_VIRTUAL_SIZE = 64L << 40;
    // MS-VHDX 2.5: a chunk is 2^23 sectors; each BAT entry is 8 bytes.
    private static final long SECTORS_PER_CHUNK = 1L << 23;
    private static final int BAT_ENTRY_SIZE = 8;

    // MS-VHDX 2.6.2.6: parent locator header (20 bytes) and key-value entries (12 bytes).
    private static final int PL_HEADER_SIZE = 20;
    private static final int PL_COUNT = 18;
    private static final int PL_ENTRY_SIZE = 12;
    // Parent locator bytes read at most: enough for a few paths, never a large allocation.
    private static final int MAX_PARENT_LOCATOR_BYTES = 16 * 1024;
    // Keys in the order a reader uses them to find the parent (MS-VHDX 2.6.2.6.3).
    private static final String[] PARENT_KEYS = {"relative_path", "volume_path", "absolute_win32_path",
        "parent_linkage"};

    @Override
    public DiskFormat format() {
        return DiskFormat.VHDX;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer identifier = image.read(0, SIGNATURE.length);
        if (identifier.remaining() < SIGNATURE.length || !Magic.startsWith(identifier, SIGNATURE)) {
            return;
        }
        result.magicFound();
        checkLog(currentHeader(image, result), image.size(), result);
        ByteBuffer regions = regionTable(image, result);
        long metadataOffset = -1;
        long metadataLength = 0;
        long batLength = -1;
        Set<UUID> seen = new HashSet<>();
        int count = (int) Bounds.u32(regions, RT_ENTRY_COUNT);
        for (int i = 0; i < count; i++) {
            int entry = RT_HEADER_SIZE + i * RT_ENTRY_SIZE;
            long entryOffset = REGION_TABLE_1 + entry;
            UUID id = Guids.mixedEndian(regions, entry);
            long offset = Bounds.u64(regions, entry + 16, REGION_TABLE_1, FindingCode.MALFORMED_HEADER,
                    "VHDX region offset");
            long length = Bounds.u32(regions, entry + 24);
            boolean required = (regions.getInt(entry + 28) & 1) != 0;
            if (!seen.add(id)) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, entryOffset,
                        "VHDX region " + id + " appears twice in the region table");
            }
            if (!id.equals(BAT_REGION) && !id.equals(METADATA_REGION)) {
                if (required) {
                    throw new InspectionFailure(FindingCode.VHDX_UNKNOWN_REQUIRED_ITEM, entryOffset,
                            "VHDX region table has an unknown required region " + id);
                }
                continue;
            }
            checkRegion(offset, length, image.size(), entryOffset, id.equals(BAT_REGION) ? "BAT" : "metadata");
            if (id.equals(BAT_REGION)) {
                batLength = length;
            } else {
                metadataOffset = offset;
                metadataLength = length;
            }
        }
        // Not found is -1: a found region passed checkRegion, so it lies at 1 MiB or later and is
        // at least 1 MiB long (no observable difference between < 0 and <= 0 here).
        if (batLength < 0 || metadataOffset < 0) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, REGION_TABLE_1,
                    "VHDX region table lacks the " + (batLength < 0 ? "BAT" : "metadata") + " region");
        }
        readMetadata(image, metadataOffset, metadataLength, batLength, result);
        result.matched();
    }

    /**
     * MS-VHDX 2.2.2.1 and qemu block/vhdx.c: a header is valid when its signature, CRC-32C and
     * version are; of two valid headers the one with the higher sequence number is current, and
     * two valid headers with the same sequence number must be identical (Disk2VHD writes them so).
     * A checksummed header of a version other than 1 is refused even when it is not current, since
     * a reader of that version would take it.
     */
    private static Header currentHeader(ImageBytes image, InspectionBuilder result) {
        ByteBuffer first = image.readExactly(HEADER_1, HEADER_SIZE, "VHDX header 1").order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer second = image.readExactly(HEADER_2, HEADER_SIZE, "VHDX header 2").order(ByteOrder.LITTLE_ENDIAN);
        boolean firstValid = validHeader(first, HEADER_1);
        boolean secondValid = validHeader(second, HEADER_2);
        if (!firstValid && !secondValid) {
            throw new InspectionFailure(FindingCode.VHDX_BAD_CHECKSUM, HEADER_1,
                    "neither VHDX header has a valid signature and CRC-32C");
        }
        if (!firstValid || !secondValid) {
            long bad = firstValid ? HEADER_2 : HEADER_1;
            result.warn(FindingCode.VHDX_BAD_CHECKSUM, bad,
                    "VHDX header at offset " + bad + " is damaged; the other header is used");
            return firstValid ? new Header(first, HEADER_1) : new Header(second, HEADER_2);
        }
        int order = Long.compareUnsigned(first.getLong(H_SEQUENCE), second.getLong(H_SEQUENCE));
        if (order == 0 && !first.equals(second)) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, HEADER_2 + H_SEQUENCE,
                    "both VHDX headers have sequence number " + Long.toUnsignedString(first.getLong(H_SEQUENCE))
                            + " but differ, so neither is current");
        }
        return order >= 0 ? new Header(first, HEADER_1) : new Header(second, HEADER_2);
    }

    /** The current header and where it lies. */
    private record Header(ByteBuffer bytes, long offset) {
    }

    /** Signature and CRC-32C; a checksummed header must also be version 1. */
    private static boolean validHeader(ByteBuffer header, long offset) {
        if (!valid(header, HEADER_SIGNATURE, H_CHECKSUM)) {
            return false;
        }
        int version = Bounds.u16(header, H_VERSION);
        if (version != HEADER_VERSION) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset + H_VERSION,
                    "VHDX header at offset " + offset + " has version " + version + ", only version 1 exists");
        }
        return true;
    }

    /**
     * The log lies inside the file, aligned. MS-VHDX 2.2.2: "If this field is zero, the log is
     * empty"; a non-zero LogGuid in the current header means a reader replays the log first,
     * which may change the disk's size and metadata after this inspection, so it is refused.
     */
    private static void checkLog(Header current, long size, InspectionBuilder result) {
        ByteBuffer header = current.bytes();
        long logLength = Bounds.u32(header, H_LOG_LENGTH);
        long logOffset = Bounds.u64(header, H_LOG_OFFSET, current.offset(), FindingCode.MALFORMED_HEADER,
                "VHDX log offset");
        if (logLength > 0) {
            checkRegion(logOffset, logLength, size, current.offset() + H_LOG_OFFSET, "log");
        }
        boolean logInUse = !Guids.isNil(header, H_LOG_GUID);
        result.detail("log_guid_set", logInUse);
        if (logInUse) {
            result.reject(FindingCode.VHDX_LOG_NOT_EMPTY, current.offset() + H_LOG_GUID,
                    "VHDX log " + Guids.mixedEndian(header, H_LOG_GUID) + " is not empty: a reader replays it before use,"
                            + " which can change the disk's size and metadata; open the image read-write in"
                            + " Hyper-V or qemu to replay it first");
        }
    }

    /** The first region table is the one qemu uses; a damaged second copy is only noted. */
    private static ByteBuffer regionTable(ImageBytes image, InspectionBuilder result) {
        ByteBuffer first = image.readExactly(REGION_TABLE_1, REGION_TABLE_SIZE, "VHDX region table 1")
                .order(ByteOrder.LITTLE_ENDIAN);
        if (!valid(first, REGION_SIGNATURE, RT_CHECKSUM)) {
            throw new InspectionFailure(FindingCode.VHDX_BAD_CHECKSUM, REGION_TABLE_1,
                    "VHDX region table 1 has no valid signature and CRC-32C");
        }
        Bounds.requireRange(Bounds.u32(first, RT_ENTRY_COUNT), 0, MAX_ENTRIES, REGION_TABLE_1 + RT_ENTRY_COUNT,
                FindingCode.MALFORMED_HEADER, "VHDX region table entry count");
        ByteBuffer second = image.readExactly(REGION_TABLE_2, REGION_TABLE_SIZE, "VHDX region table 2")
                .order(ByteOrder.LITTLE_ENDIAN);
        if (!valid(second, REGION_SIGNATURE, RT_CHECKSUM)) {
            result.warn(FindingCode.VHDX_BAD_CHECKSUM, REGION_TABLE_2,
                    "VHDX region table 2 is damaged; region table 1 is used");
        }
        return first;
    }

    /** MS-VHDX 2.2.3.2: regions start at or after 1 MiB, are 1 MiB aligned and inside the file. */
    private static void checkRegion(long offset, long length, long size, long fieldOffset, String what) {
        if (offset < REGION_ALIGNMENT || offset % REGION_ALIGNMENT != 0 || length % REGION_ALIGNMENT != 0
                || length == 0) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, fieldOffset,
                    "VHDX " + what + " region at offset " + offset + " with length " + length
                            + " is not a non-empty 1 MiB aligned range after the headers");
        }
        Bounds.requireWithin(offset, length, size, FindingCode.TRUNCATED, "VHDX " + what + " region");
    }

    private static void readMetadata(ImageBytes image, long regionOffset, long regionLength, long batLength,
            InspectionBuilder result) {
        ByteBuffer table = image.readExactly(regionOffset, METADATA_TABLE_SIZE, "VHDX metadata table")
                .order(ByteOrder.LITTLE_ENDIAN);
        if (!Magic.startsWith(table, METADATA_SIGNATURE)) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, regionOffset,
                    "VHDX metadata region lacks its \"metadata\" signature");
        }
        int count = (int) Bounds.requireRange(Bounds.u16(table, MT_ENTRY_COUNT), 0, MAX_ENTRIES,
                regionOffset + MT_ENTRY_COUNT, FindingCode.MALFORMED_HEADER, "VHDX metadata entry count");
        Metadata metadata = new Metadata();
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            int entry = MT_HEADER_SIZE + i * MT_ENTRY_SIZE;
            long entryOffset = regionOffset + entry;
            UUID id = Guids.mixedEndian(table, entry);
            long offset = Bounds.u32(table, entry + 16);
            long length = Bounds.u32(table, entry + 20);
            boolean required = (table.getInt(entry + 24) & FLAG_IS_REQUIRED) != 0;
            if (!seen.add(id)) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, entryOffset,
                        "VHDX metadata item " + id + " appears twice");
            }
            boolean known = MANDATORY_ITEMS.contains(id) || id.equals(PARENT_LOCATOR);
            if (!known) {
                if (required) {
                    throw new InspectionFailure(FindingCode.VHDX_UNKNOWN_REQUIRED_ITEM, entryOffset,
                            "VHDX metadata has an unknown required item " + id);
                }
                continue;
            }
            Bounds.requireRange(length, 0, MAX_ITEM_LENGTH, entryOffset + 20, FindingCode.MALFORMED_HEADER,
                    "VHDX metadata item length");
            if (length > 0 && offset < METADATA_TABLE_SIZE) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, entryOffset + 16,
                        "VHDX metadata item " + id + " at offset " + offset + " overlaps the metadata table");
            }
            Bounds.requireWithin(offset, length, regionLength, FindingCode.MALFORMED_HEADER,
                    "VHDX metadata item " + id + " (relative to the metadata region)");
            metadata.read(image, id, regionOffset + offset, length);
        }
        metadata.report(batLength, regionOffset, result);
    }

    /** The known metadata items, read one by one, then checked together. */
    private static final class Metadata {
        private long blockSize = -1;
        private int flags;
        private long virtualSize = -1;
        private long logicalSectorSize = -1;
        private long physicalSectorSize = -1;
        private boolean page83;
        private String parent;
        private String[] parentPaths = new String[0];
        private long parentOffset = -1;

        void read(ImageBytes image, UUID id, long offset, long length) {
            if (id.equals(PARENT_LOCATOR)) {
                parentOffset = offset;
                parentPaths = parentLocator(image, offset, length);
                parent = Arrays.stream(parentPaths).filter(Objects::nonNull).findFirst()
                        .orElse("(parent locator without a readable path)");
                return;
            }
            int needed = id.equals(PAGE_83_DATA) ? 16
                    : id.equals(LOGICAL_SECTOR_SIZE) || id.equals(PHYSICAL_SECTOR_SIZE) ? 4 : 8;
            if (length < needed) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset,
                        "VHDX metadata item " + id + " is " + length + " bytes, shorter than its " + needed);
            }
            ByteBuffer item = image.readExactly(offset, needed, "VHDX metadata item " + id)
                    .order(ByteOrder.LITTLE_ENDIAN);
            if (id.equals(FILE_PARAMETERS)) {
                blockSize = Bounds.u32(item, 0);
                flags = item.getInt(4);
            } else if (id.equals(VIRTUAL_DISK_SIZE)) {
                virtualSize = Bounds.u64(item, 0, offset, FindingCode.MALFORMED_HEADER, "VHDX virtual disk size");
            } else if (id.equals(LOGICAL_SECTOR_SIZE)) {
                logicalSectorSize = Bounds.u32(item, 0);
            } else if (id.equals(PHYSICAL_SECTOR_SIZE)) {
                physicalSectorSize = Bounds.u32(item, 0);
            } else {
                page83 = true;
            }
        }

        void report(long batLength, long regionOffset, InspectionBuilder result) {
            if (blockSize < 0 || virtualSize < 0 || logicalSectorSize < 0 || physicalSectorSize < 0 || !page83) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, regionOffset,
                        "VHDX metadata lacks one of the required items (file parameters, virtual disk size,"
                                + " page 83 data, logical and physical sector size)");
            }
            if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Long.bitCount(blockSize) != 1) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, regionOffset,
                        "VHDX block size " + blockSize + " is not a power of two between 1 MiB and 256 MiB");
            }
            if (!Sectors.isLogicalSectorSize(logicalSectorSize) || !Sectors.isLogicalSectorSize(physicalSectorSize)) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, regionOffset,
                        "VHDX sector sizes " + logicalSectorSize + "/" + physicalSectorSize
                                + " are not 512 or 4096");
            }
            if (virtualSize > MAX_VIRTUAL_SIZE || virtualSize % logicalSectorSize != 0) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, regionOffset,
                        "VHDX virtual disk size " + virtualSize
                                + " exceeds 64 TiB or is not a multiple of the logical sector size");
            }
            boolean hasParent = (flags & HAS_PARENT) != 0;
            long needed = batEntries(hasParent) * BAT_ENTRY_SIZE;
            if (needed > batLength) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, regionOffset,
                        "VHDX BAT region of " + batLength + " bytes is smaller than the " + needed
                                + " bytes the virtual size needs");
            }
            if (hasParent || parent != null) {
                result.reference(ExternalReference.Kind.BACKING, FindingCode.VHDX_HAS_PARENT,
                        parent != null ? parent : "(unnamed parent)",
                        // A parent locator lies after the 64 KiB metadata table, never at 0.
                        parentOffset >= 0 ? parentOffset : regionOffset);
            }
            for (int k = 0; k < parentPaths.length; k++) {
                if (parentPaths[k] != null) {
                    result.detail("parent_locator." + PARENT_KEYS[k], parentPaths[k]);
                }
            }
            String variant = hasParent || parent != null ? "differencing"
                    : (flags & LEAVE_BLOCKS_ALLOCATED) != 0 ? "fixed" : "dynamic";
            result.variant(variant).virtualSize(virtualSize);
            result.detail("block_size", blockSize).detail("logical_sector_size", logicalSectorSize)
                    .detail("physical_sector_size", physicalSectorSize);
        }

        /** MS-VHDX 2.5: payload blocks plus one sector bitmap block per chunk. */
        private long batEntries(boolean hasParent) {
            long chunkRatio = SECTORS_PER_CHUNK * logicalSectorSize / blockSize;
            long dataBlocks = (virtualSize + blockSize - 1) / blockSize;
            if (hasParent) {
                long bitmapBlocks = (dataBlocks + chunkRatio - 1) / chunkRatio;
                return bitmapBlocks * (chunkRatio + 1);
            }
            return dataBlocks == 0 ? 0 : dataBlocks + (dataBlocks - 1) / chunkRatio;
        }
    }

    /**
     * The values of the known parent keys in a locator, in {@link #PARENT_KEYS} order (null where
     * absent); the item's size caps what is read. A known key given twice is refused: readers
     * that take the first and the last occurrence would look for different parents.
     */
    private static String[] parentLocator(ImageBytes image, long offset, long length) {
        if (length < PL_HEADER_SIZE) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset,
                    "VHDX parent locator of " + length + " bytes is shorter than its header");
        }
        int readable = (int) Math.min(length, MAX_PARENT_LOCATOR_BYTES);
        ByteBuffer item = image.readExactly(offset, readable, "VHDX parent locator").order(ByteOrder.LITTLE_ENDIAN);
        int count = Bounds.u16(item, PL_COUNT);
        String[] values = new String[PARENT_KEYS.length];
        for (int i = 0; i < count && PL_HEADER_SIZE + (i + 1) * PL_ENTRY_SIZE <= readable; i++) {
            int entry = PL_HEADER_SIZE + i * PL_ENTRY_SIZE;
            String key = string(item, Bounds.u32(item, entry), Bounds.u16(item, entry + 8));
            String value = string(item, Bounds.u32(item, entry + 4), Bounds.u16(item, entry + 10));
            for (int k = 0; k < PARENT_KEYS.length; k++) {
                if (!PARENT_KEYS[k].equals(key) || value == null) {
                    continue;
                }
                if (values[k] != null) {
                    throw new InspectionFailure(FindingCode.MALFORMED_HEADER, offset + entry,
                            "VHDX parent locator gives the key " + key + " twice");
                }
                values[k] = value;
            }
        }
        return values;
    }

    /** A UTF-16LE string inside the bytes read, or null when it lies (partly) outside them. */
    private static String string(ByteBuffer item, long offset, int length) {
        if (offset + length > item.limit()) {
            return null;
        }
        byte[] bytes = new byte[length & ~1];
        item.get((int) offset, bytes);
        // Raw text: references and details pass it through UntrustedText, which escapes controls.
        return new String(bytes, StandardCharsets.UTF_16LE);
    }

    /** Signature matches and the CRC-32C over the whole structure, checksum field zeroed, agrees. */
    private static boolean valid(ByteBuffer structure, int signature, int checksumOffset) {
        return structure.getInt(0) == signature
                && Checksums.crc32c(structure, structure.limit(), checksumOffset)
                        == Bounds.u32(structure, checksumOffset);
    }

}
