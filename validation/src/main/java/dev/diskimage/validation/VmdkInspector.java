package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Recognises VMDK in its three on-disk shapes: a hosted sparse extent ({@code KDMV}, which covers
 * monolithicSparse and streamOptimized, the latter possibly with its header in a footer), a
 * plain text descriptor file, and the ESX {@code COWD} sparse extent (reported as
 * {@code vmfsSparse} for the policy's allowlist to refuse).
 *
 * <p>Everything a VMDK can point at outside itself is reported: extents in other files
 * ({@link FindingCode#VMDK_EXTERNAL_EXTENT}) and parent disks ({@link FindingCode#VMDK_PARENT_HINT}).
 * A sparse file's descriptors may name only the file itself ({@link VmdkSelfExtent}), and every
 * copy of its metadata that some reader uses (both header copies of a streamOptimized file, the
 * descriptors they point to, qemu's fixed descriptor window) must agree
 * ({@link FindingCode#VMDK_COPIES_DISAGREE}), so that no reader sees another disk.
 * Where qemu reads the disk differently from the specification (it looks for the parent hint
 * and the content ids in a fixed window after the header, and follows the embedded descriptor's
 * extents when the header's capacity is zero) this inspector follows what qemu would do, since
 * qemu is what eventually opens the image.
 *
 * <p>Stateless and thread-safe.
 */
final class VmdkInspector implements FormatInspector {

    /** VMDK3 (ESX vmfsSparse) magic "COWD" read as a little-endian uint32. */
    static final int COWD_MAGIC = 0x44574f43;
    /** qemu block/vmdk.c: a grain (cluster) above 0x200000 sectors (1 GiB) is refused. */
    static final long MAX_GRAIN_SECTORS = 0x200000;
    /** Spec: a grain table always holds 512 entries (qemu refuses more). */
    static final long GTES_PER_GT = 512;
    /** qemu block/vmdk.c: the grain directory (L1 table) may hold at most 32 Mi entries. */
    static final long MAX_GD_ENTRIES = 32L * 1024 * 1024;
    /** Largest capacity in sectors whose byte size still fits a signed long. */
    static final long MAX_SECTORS = Long.MAX_VALUE / Sectors.SIZE;

    /** qemu block/vmdk.c: a footer is a footer marker, a header copy and an end-of-stream marker. */
    static final int FOOTER_BYTES = 3 * Sectors.SIZE;
    /** Spec: marker type of the footer marker. */
    static final int MARKER_FOOTER = 3;
    /** Spec: marker type of the end-of-stream marker. */
    static final int MARKER_END_OF_STREAM = 0;
    // Marker layout: uint64 val, uint32 size, uint32 type.
    private static final int MARKER_VAL = 0;
    private static final int MARKER_SIZE = 8;
    private static final int MARKER_TYPE = 12;

    /**
     * qemu block/vmdk.c (vmdk_open, vmdk_parent_open, vmdk_read_cid): for a sparse file qemu
     * reads the parent hint and content ids from 20 sectors at byte 0x200, whatever the header's
     * descriptor offset says.
     */
    static final long QEMU_DESCRIPTOR_WINDOW_OFFSET = 0x200;
    /** qemu block/vmdk.c DESC_SIZE: the window is 20 sectors long. */
    static final int QEMU_DESCRIPTOR_WINDOW_BYTES = 20 * Sectors.SIZE;
    private static final String PARENT_HINT_KEY = "parentFileNameHint";
    /**
     * Words any descriptor reader keys on (qemu finds {@code parentFileNameHint}, {@code CID},
     * {@code parentCID} and {@code createType} by substring search); text in qemu's window that
     * holds one of them, or an extent line, is descriptor text.
     */
    private static final List<String> DESCRIPTOR_WORDS =
            List.of(PARENT_HINT_KEY, "CID", "createType", "version", "DescriptorFile", "ddb.");
    /** VMware descriptor entry naming the change block tracking file. */
    private static final String CHANGE_TRACK_PATH = "changeTrackPath";
    private static final Pattern EXTENT_LINE = Pattern.compile("(?m)^[ \\t]*(RW|RDONLY|NOACCESS)[ \\t]");
    /** Capacity for the self-extent rule where no extent line may name the image itself. */
    private static final long NO_SELF_EXTENT = -1;

    /** Bytes looked at to decide whether a file without magic is a text descriptor. */
    static final int SNIFF_BYTES = 4096;
    /** qemu block.c: format probes see the first 2048 bytes. */
    static final int QEMU_PROBE_BYTES = 2048;
    private static final String DESCRIPTOR_SIGNATURE = "# Disk DescriptorFile";

    // createTypes the extent headers imply: a hosted sparse extent with uncompressed or with
    // deflate-compressed grains, and an ESX COWD sparse extent.
    private static final String MONOLITHIC_SPARSE = VmdkCreateType.MONOLITHIC_SPARSE.descriptorName();
    private static final String STREAM_OPTIMIZED = VmdkCreateType.STREAM_OPTIMIZED.descriptorName();
    private static final String VMFS_SPARSE = VmdkCreateType.VMFS_SPARSE.descriptorName();

    // VMDK3 (COWD) header fields after the magic (qemu VMDK3Header, ESX cow_ext.h COWDisk_Header).
    /** ESX cow_ext.h: the COWDisk_Header is padded to four sectors. */
    static final int COWD_HEADER_BYTES = 2048;
    private static final int COWD_FLAGS = 8;
    /** ESX cow_ext.h COWDISK_ROOT: the disk has no parent; without it the disk is a child. */
    static final long COWD_FLAG_ROOT = 0x01;
    /** ESX cow_ext.h: the union of root geometry and child parent name starts after eight uint32s. */
    static final int COWD_PARENT_NAME = 32;
    /** ESX cow_ext.h COWDISK_MAX_PARENT_FILELEN. */
    static final int COWD_PARENT_NAME_BYTES = 1024;
    /** ESX cow_ext.h: a root disk's union holds cylinders, heads and sectors. */
    private static final int COWD_ROOT_GEOMETRY_BYTES = 12;
    /** ESX cow_ext.h: the child's parentGeneration follows the parent name. */
    private static final int COWD_PARENT_GENERATION = COWD_PARENT_NAME + COWD_PARENT_NAME_BYTES;
    /** qemu vmdk_open_vmfs_sparse, ESX COW_NUM_LEAF_ENTRIES: a COWD grain table holds 4096 entries. */
    static final long COWD_GTES_PER_GT = 4096;
    private static final int COWD_VERSION = 4;
    private static final int COWD_NUM_SECTORS = 12;
    private static final int COWD_GRAIN_SIZE = 16;
    private static final int COWD_GD_OFFSET = 20;
    private static final int COWD_GD_ENTRIES = 24;

    @Override
    public DiskFormat format() {
        return DiskFormat.VMDK;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer head = image.read(0, 4);
        if (head.remaining() < 4) {
            return;
        }
        int magic = head.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magic == VmdkSparseHeader.MAGIC) {
            inspectSparse(image, result);
        } else if (magic == COWD_MAGIC) {
            inspectCowd(image, result);
        } else {
            inspectDescriptorFile(image, result);
        }
    }

    // ---------------------------------------------------------------- hosted sparse (KDMV)

    private void inspectSparse(ImageBytes image, InspectionBuilder result) {
        result.magicFound();
        VmdkSparseHeader primary = VmdkSparseHeader.parse(
                image.readExactly(0, VmdkSparseHeader.SIZE, "VMDK sparse extent header"));
        long size = image.size();
        if (primary.capacity() == 0 && primary.descriptorOffset() != 0) {
            // qemu vmdk_open_vmdk4: a zero capacity makes qemu open the embedded descriptor as a
            // descriptor file and follow its extents.
            inspectDescriptorInsideSparse(image, primary, size, result);
            return;
        }
        VmdkSparseHeader header = primary;
        long headerOffset = 0;
        if (primary.gdOffset() == VmdkSparseHeader.GD_AT_END) {
            long end = size - size % Sectors.SIZE;
            if (end < VmdkSparseHeader.SIZE + FOOTER_BYTES) {
                throw new InspectionFailure(FindingCode.TRUNCATED, 0,
                        "streamOptimized header defers to a footer, but the image of " + size
                                + " bytes has no room for one");
            }
            headerOffset = end - FOOTER_BYTES + Sectors.SIZE;
            header = footerHeader(image, end - FOOTER_BYTES);
            result.detail("footer_offset", headerOffset);
        }
        long capacity = checkSparseHeader(header, headerOffset, size);
        if (header != primary) {
            requireHeaderCopiesAgree(primary, header, headerOffset);
        }
        result.detail("version", header.version()).detail("grain_size", header.grainSize() * Sectors.SIZE)
                .detail("compressed", header.compressed());

        // Every descriptor the image carries is read: the one the first header points to and,
        // for a footer, the one its header copy points to (VMware and qemu read different copies).
        DescriptorText own = descriptorText(image, primary, 0, size);
        String inferred = header.compressed() ? STREAM_OPTIMIZED : MONOLITHIC_SPARSE;
        Map<String, Long> parents = new LinkedHashMap<>();
        try {
            inspectSparseDescriptor(own, capacity, inferred, headerOffset, parents, result);
            if (header != primary) {
                DescriptorText copy = descriptorText(image, header, headerOffset, size);
                if (!copy.sameTextAs(own)) {
                    result.reject(FindingCode.VMDK_COPIES_DISAGREE, headerOffset,
                            "the footer's header copy points to a descriptor (at byte " + copy.offset()
                                    + ") that differs from the one the first header points to (at byte "
                                    + own.offset() + ")");
                    inspectSparseDescriptor(copy, capacity, inferred, headerOffset, parents, result);
                }
            }
            checkQemuWindow(image, own.text(), capacity, parents, result);
        } finally {
            reportParents(parents, result);
        }
        result.virtualSize(capacity * Sectors.SIZE).matched();
    }

    /**
     * The footer's header copy is what qemu reads, the first header what a reader that does not
     * look for a footer reads: both must describe the same disk.
     */
    private static void requireHeaderCopiesAgree(VmdkSparseHeader primary, VmdkSparseHeader copy, long copyOffset) {
        if (primary.capacity() != copy.capacity() || primary.grainSize() != copy.grainSize()
                || primary.compressAlgorithm() != copy.compressAlgorithm()) {
            throw new InspectionFailure(FindingCode.VMDK_COPIES_DISAGREE, copyOffset,
                    "the footer's header copy describes another disk than the first header (capacity "
                            + Long.toUnsignedString(copy.capacity()) + " vs "
                            + Long.toUnsignedString(primary.capacity()) + " sectors, grain "
                            + Long.toUnsignedString(copy.grainSize()) + " vs "
                            + Long.toUnsignedString(primary.grainSize()) + " sectors, compression "
                            + copy.compressAlgorithm() + " vs " + primary.compressAlgorithm() + ")");
        }
    }

    /** Variant, self extent and parents of one descriptor copy of a sparse file. */
    private static void inspectSparseDescriptor(DescriptorText text, long capacity, String inferred,
            long headerOffset, Map<String, Long> parents, InspectionBuilder result) {
        VmdkDescriptor descriptor = text.parse();
        if (descriptor == null) {
            result.variant(inferred);
            return;
        }
        long base = text.offset();
        String createType = requireCreateType(descriptor, base);
        if ((createType.equals(MONOLITHIC_SPARSE) || createType.equals(STREAM_OPTIMIZED))
                && !createType.equals(inferred)) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, headerOffset,
                    "descriptor says createType " + createType + " but the sparse header makes qemu read it as "
                            + inferred);
        }
        result.variant(createType);
        reportSparseExtents(descriptor, base, capacity, result);
        collectParents(descriptor, base, parents);
        reportChangeTrackingFile(descriptor, base, result);
    }

    private static void reportParents(Map<String, Long> parents, InspectionBuilder result) {
        parents.forEach((target, offset) ->
                result.reference(ExternalReference.Kind.BACKING, FindingCode.VMDK_PARENT_HINT, target, offset));
    }

    private static VmdkSparseHeader footerHeader(ImageBytes image, long footerStart) {
        ByteBuffer footer = image.readExactly(footerStart, FOOTER_BYTES, "VMDK streamOptimized footer")
                .order(ByteOrder.LITTLE_ENDIAN);
        boolean valid = Bounds.u32(footer, MARKER_SIZE) == 0
                && Bounds.u32(footer, MARKER_TYPE) == MARKER_FOOTER
                && footer.getInt(Sectors.SIZE) == VmdkSparseHeader.MAGIC
                && footer.getLong(2 * Sectors.SIZE + MARKER_VAL) == 0
                && Bounds.u32(footer, 2 * Sectors.SIZE + MARKER_SIZE) == 0
                && Bounds.u32(footer, 2 * Sectors.SIZE + MARKER_TYPE) == MARKER_END_OF_STREAM;
        if (!valid) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, footerStart,
                    "streamOptimized header defers to a footer, but no valid footer marker, header copy and "
                            + "end-of-stream marker end the image");
        }
        VmdkSparseHeader header = VmdkSparseHeader.parse(footer.slice(Sectors.SIZE, Sectors.SIZE));
        if (header.gdOffset() == VmdkSparseHeader.GD_AT_END) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, footerStart + Sectors.SIZE,
                    "the footer's header copy also defers its grain directory to the footer");
        }
        return header;
    }

    /** Checks every field of a sparse header against the spec, qemu's limits and the file size. */
    private static long checkSparseHeader(VmdkSparseHeader h, long base, long size) {
        FindingCode bad = FindingCode.MALFORMED_HEADER;
        Bounds.requireRange(h.version(), 1, 3, base + 4, bad, "VMDK sparse version");
        if ((h.flags() & VmdkSparseHeader.FLAG_NEWLINE_DETECT) != 0 && !h.newlineBytesValid()) {
            throw new InspectionFailure(bad, base + 73,
                    "newline detection bytes are damaged (was the image transferred in text mode?)");
        }
        Bounds.requireRange(h.compressAlgorithm(), 0, VmdkSparseHeader.COMPRESSION_DEFLATE, base + 77, bad,
                "compression algorithm");
        long grain = Bounds.requireRange(h.grainSize(), 1, MAX_GRAIN_SECTORS, base + 20, bad, "grain size in sectors");
        if (Long.bitCount(grain) != 1) {
            throw new InspectionFailure(bad, base + 20, "grain size " + grain + " sectors is not a power of two");
        }
        Bounds.requireRange(h.numGtesPerGt(), GTES_PER_GT, GTES_PER_GT, base + 44, bad, "grain table entries");
        long capacity = Bounds.requireRange(h.capacity(), 0, MAX_SECTORS, base + 12, bad, "capacity in sectors");
        long sectorsPerGdEntry = grain * GTES_PER_GT;
        long gdEntries = capacity / sectorsPerGdEntry + (capacity % sectorsPerGdEntry == 0 ? 0 : 1);
        Bounds.requireRange(gdEntries, 0, MAX_GD_ENTRIES, base + 12, bad, "grain directory entries");
        requireTable(h.gdOffset(), gdEntries, base + 56, size, "grain directory");
        if ((h.flags() & VmdkSparseHeader.FLAG_REDUNDANT_GRAIN_TABLE) != 0) {
            requireTable(h.rgdOffset(), gdEntries, base + 48, size, "redundant grain directory");
        }
        long overHead = Bounds.requireRange(h.overHead(), 0, MAX_SECTORS, base + 64, bad, "overhead in sectors");
        // qemu vmdk_open_vmdk4: "File truncated" when the file ends before the first grain.
        Bounds.requireWithin(0, overHead * Sectors.SIZE, size, FindingCode.TRUNCATED, "metadata before the first grain");
        return capacity;
    }

    private static void requireTable(long offsetSectors, long entries, long fieldOffset, long size, String what) {
        if (entries == 0) {
            return;
        }
        long sector = Bounds.requireRange(offsetSectors, 1, MAX_SECTORS, fieldOffset, FindingCode.MALFORMED_HEADER,
                what + " offset in sectors");
        Bounds.requireWithin(sector * Sectors.SIZE, entries * 4, size, FindingCode.TRUNCATED, what);
    }

    /** The descriptor region a sparse header points to; an empty text when it declares none. */
    private static DescriptorText descriptorText(ImageBytes image, VmdkSparseHeader h, long base, long size) {
        byte[] region = descriptorRegion(image, h, base, size);
        return region == null ? DescriptorText.NONE : new DescriptorText(h.descriptorOffset() * Sectors.SIZE, region);
    }

    private static byte[] descriptorRegion(ImageBytes image, VmdkSparseHeader h, long base, long size) {
        if (h.descriptorOffset() == 0) {
            return null;
        }
        long sector = Bounds.requireRange(h.descriptorOffset(), 1, MAX_SECTORS, base + 28,
                FindingCode.MALFORMED_HEADER, "descriptor offset in sectors");
        long sectors = Bounds.requireRange(h.descriptorSize(), 1, VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES / Sectors.SIZE,
                base + 36, FindingCode.VMDK_MALFORMED_DESCRIPTOR, "embedded descriptor size in sectors");
        long offset = sector * Sectors.SIZE;
        int length = (int) (sectors * Sectors.SIZE);
        Bounds.requireWithin(offset, length, size, FindingCode.TRUNCATED, "embedded descriptor");
        ByteBuffer bytes = image.readExactly(offset, length, "embedded descriptor");
        byte[] region = new byte[length];
        bytes.get(region);
        return region;
    }

    /**
     * One descriptor region found in the image.
     *
     * @param offset where the region starts in the image
     * @param region the region's bytes (the text ends at the first NUL, as it does for qemu)
     */
    private record DescriptorText(long offset, byte[] region) {
        static final DescriptorText NONE = new DescriptorText(0, new byte[0]);

        /** The parsed descriptor, or {@code null} when the region is absent or all zeros. */
        VmdkDescriptor parse() {
            return isAllZero(region) ? null : VmdkDescriptorParser.parse(region, offset);
        }

        /** The text up to the first NUL. */
        byte[] text() {
            return untilNul(region);
        }

        boolean sameTextAs(DescriptorText other) {
            return Arrays.equals(text(), other.text());
        }
    }

    /** The zero-capacity case: qemu treats the embedded descriptor as a descriptor file. */
    private static void inspectDescriptorInsideSparse(ImageBytes image, VmdkSparseHeader h, long size,
            InspectionBuilder result) {
        byte[] region = descriptorRegion(image, h, 0, size);
        long base = h.descriptorOffset() * Sectors.SIZE;
        boolean terminated = false;
        for (byte b : region) {
            terminated |= b == 0;
        }
        if (!terminated && base + region.length < size) {
            // qemu vmdk_read_desc reads up to 1 MiB from the offset, up to the first NUL.
            throw new InspectionFailure(FindingCode.VMDK_MALFORMED_DESCRIPTOR, base,
                    "embedded descriptor text runs past its declared size; qemu would read on");
        }
        VmdkDescriptor descriptor = VmdkDescriptorParser.parse(region, base);
        result.detail("zero_capacity_descriptor", true);
        describeDescriptorFile(descriptor, base, result);
        Map<String, Long> parents = new LinkedHashMap<>();
        collectParents(descriptor, base, parents);
        reportChangeTrackingFile(descriptor, base, result);
        try {
            checkQemuWindow(image, untilNul(region), NO_SELF_EXTENT, parents, result);
        } finally {
            reportParents(parents, result);
        }
        result.matched();
    }

    /**
     * A sparse file's own descriptor must name the file itself as its one SPARSE extent
     * ({@link VmdkSelfExtent}); when it does not, every extent it names is reported as external,
     * and a descriptor that names no file at all (no extent, only ZERO extents) is malformed.
     */
    private static void reportSparseExtents(VmdkDescriptor descriptor, long base, long capacity,
            InspectionBuilder result) {
        List<VmdkDescriptor.Extent> extents = descriptor.extents();
        if (extents.size() == 1 && VmdkSelfExtent.namesImageItself(extents.get(0), capacity)) {
            result.detail("extent", extents.get(0).fileName().orElseThrow());
            return;
        }
        if (extents.stream().noneMatch(extent -> extent.fileName().isPresent())) {
            throw new InspectionFailure(FindingCode.VMDK_MALFORMED_DESCRIPTOR, base,
                    "a sparse file's descriptor must name the file itself as its one SPARSE extent of "
                            + capacity + " sectors, but it names " + extents.size() + " extents and no file");
        }
        reportAllExtents(descriptor, base, result);
    }

    private static void reportAllExtents(VmdkDescriptor descriptor, long base, InspectionBuilder result) {
        for (VmdkDescriptor.Extent extent : descriptor.extents()) {
            if (extent.fileName().isPresent()) {
                result.reference(ExternalReference.Kind.EXTENT, FindingCode.VMDK_EXTERNAL_EXTENT,
                        extent.fileName().get(), base + extent.textOffset());
            }
        }
    }

    /**
     * VMware's {@code changeTrackPath} names the change block tracking file ({@code disk-ctk.vmdk})
     * that ESX opens and writes beside the disk: another file, never allowed. VMware reads keys
     * case-insensitively, so any spelling counts.
     */
    private static void reportChangeTrackingFile(VmdkDescriptor descriptor, long base, InspectionBuilder result) {
        descriptor.entries().forEach((key, value) -> {
            if (key.equalsIgnoreCase(CHANGE_TRACK_PATH)) {
                result.reference(ExternalReference.Kind.DATA_FILE, FindingCode.VMDK_CHANGE_TRACKING_FILE, value, base);
            }
        });
    }

    private static void collectParents(VmdkDescriptor descriptor, long base, Map<String, Long> parents) {
        if (descriptor.parentFileNameHint().isPresent()) {
            parents.putIfAbsent(descriptor.parentFileNameHint().get(), base);
        } else if (descriptor.declaresParent()) {
            parents.putIfAbsent("parentCID=" + Long.toHexString(descriptor.parentCid().getAsLong()), base);
        }
    }

    /**
     * qemu reads the parent hint and content ids of a sparse file from a fixed window at byte
     * 0x200, whatever the header says. A parent hint there is a parent. Descriptor text there
     * must be the image's own descriptor or carry neither extents nor a parent: otherwise qemu
     * and every other reader would see different disks.
     *
     * @param ownText the image's own descriptor text (empty when it has none)
     * @param capacity the sparse capacity in sectors, or {@link #NO_SELF_EXTENT} when no extent
     *        line can name the image itself
     */
    private static void checkQemuWindow(ImageBytes image, byte[] ownText, long capacity, Map<String, Long> parents,
            InspectionBuilder result) {
        ByteBuffer window = image.read(QEMU_DESCRIPTOR_WINDOW_OFFSET, QEMU_DESCRIPTOR_WINDOW_BYTES);
        byte[] bytes = new byte[window.remaining()];
        window.get(bytes);
        byte[] textBytes = untilNul(bytes);
        String text = new String(textBytes, StandardCharsets.ISO_8859_1);
        collectQemuWindowParent(text, parents);
        if (Arrays.equals(textBytes, ownText) || !holdsDescriptorText(text)) {
            return;
        }
        VmdkDescriptor other = VmdkDescriptorParser.parse(textBytes, QEMU_DESCRIPTOR_WINDOW_OFFSET);
        if (other.extents().isEmpty() && !other.declaresParent()) {
            return;
        }
        collectParents(other, QEMU_DESCRIPTOR_WINDOW_OFFSET, parents);
        reportChangeTrackingFile(other, QEMU_DESCRIPTOR_WINDOW_OFFSET, result);
        List<VmdkDescriptor.Extent> extents = other.extents();
        if (!(extents.size() == 1 && VmdkSelfExtent.namesImageItself(extents.get(0), capacity))) {
            reportAllExtents(other, QEMU_DESCRIPTOR_WINDOW_OFFSET, result);
        }
        result.reject(FindingCode.VMDK_COPIES_DISAGREE, QEMU_DESCRIPTOR_WINDOW_OFFSET,
                "qemu reads the parent and content ids from descriptor text at byte " + QEMU_DESCRIPTOR_WINDOW_OFFSET
                        + " that differs from the image's own descriptor and names "
                        + (extents.isEmpty() ? "a parent" : extents.size() + " extents"));
    }

    /** Whether text holds anything a VMDK descriptor reader acts on (a key or an extent line). */
    static boolean holdsDescriptorText(String text) {
        for (String key : DESCRIPTOR_WORDS) {
            if (text.contains(key)) {
                return true;
            }
        }
        return EXTENT_LINE.matcher(text).find();
    }

    /** Reports a parent hint wherever qemu would find one in its fixed descriptor window. */
    private static void collectQemuWindowParent(String text, Map<String, Long> parents) {
        int at = text.indexOf(PARENT_HINT_KEY);
        if (at < 0) {
            return;
        }
        // qemu vmdk_parent_open skips the key and two characters ("=\"") and reads up to a quote.
        int start = Math.min(text.length(), at + PARENT_HINT_KEY.length() + 2);
        int end = text.indexOf('"', start);
        String target = text.substring(start, end < 0 ? text.length() : end);
        String name = new String(target.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        parents.putIfAbsent(name, QEMU_DESCRIPTOR_WINDOW_OFFSET + at);
    }

    private static byte[] untilNul(byte[] bytes) {
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return Arrays.copyOf(bytes, length);
    }

    // ---------------------------------------------------------------- COWD (vmfsSparse)

    private void inspectCowd(ImageBytes image, InspectionBuilder result) {
        result.magicFound();
        ByteBuffer h = image.readExactly(0, COWD_HEADER_BYTES, "VMDK COWD header").order(ByteOrder.LITTLE_ENDIAN);
        long size = image.size();
        FindingCode bad = FindingCode.MALFORMED_HEADER;
        long grain = Bounds.requireRange(Bounds.u32(h, COWD_GRAIN_SIZE), 1, MAX_GRAIN_SECTORS, COWD_GRAIN_SIZE, bad,
                "COWD grain size in sectors");
        if (Long.bitCount(grain) != 1) {
            throw new InspectionFailure(bad, COWD_GRAIN_SIZE, "COWD grain size " + grain + " is not a power of two");
        }
        long sectors = Bounds.u32(h, COWD_NUM_SECTORS);
        long entries = Bounds.requireRange(Bounds.u32(h, COWD_GD_ENTRIES), 0, MAX_GD_ENTRIES, COWD_GD_ENTRIES, bad,
                "COWD grain directory entries");
        // Every sector of the disk must be mapped by a grain directory entry (qemu fails reads beyond it).
        long mapped = entries * COWD_GTES_PER_GT * grain;
        if (mapped < sectors) {
            throw new InspectionFailure(bad, COWD_GD_ENTRIES, "COWD grain directory of " + entries
                    + " entries maps " + mapped + " sectors, fewer than the disk's " + sectors);
        }
        if (entries > 0) {
            Bounds.requireRange(Bounds.u32(h, COWD_GD_OFFSET), COWD_HEADER_BYTES / Sectors.SIZE, MAX_SECTORS, COWD_GD_OFFSET,
                    bad, "COWD grain directory offset in sectors (after the header)");
        }
        requireTable(Bounds.u32(h, COWD_GD_OFFSET), entries, COWD_GD_OFFSET, size, "COWD grain directory");
        result.variant(VMFS_SPARSE).detail("version", Bounds.u32(h, COWD_VERSION))
                .detail("grain_size", grain * Sectors.SIZE);
        Map<String, Long> parents = new LinkedHashMap<>();
        try {
            collectCowdParent(h, parents);
            // qemu vmdk_open: for a COWD file too, the parent hint is read from the window at 0x200.
            checkQemuWindow(image, new byte[0], NO_SELF_EXTENT, parents, result);
        } finally {
            reportParents(parents, result);
        }
        result.virtualSize(sectors * Sectors.SIZE).matched();
    }

    /**
     * ESX cow_ext.h: a COWD disk without the root flag is a child whose parent is named in the
     * union after the header numbers. A root disk keeps its geometry in the union's first 12 bytes;
     * anything written in the rest of the parent name (or the parent generation) is a parent name
     * too, since a reader that ignores the flag would follow it.
     */
    private static void collectCowdParent(ByteBuffer h, Map<String, Long> parents) {
        byte[] field = new byte[COWD_PARENT_NAME_BYTES];
        h.get(COWD_PARENT_NAME, field);
        boolean root = (Bounds.u32(h, COWD_FLAGS) & COWD_FLAG_ROOT) != 0;
        byte[] written = untilNul(field);
        String name = new String(written, StandardCharsets.UTF_8);
        if (!root) {
            parents.putIfAbsent(name.isEmpty() ? "(COWD child disk without a parent name)" : name,
                    (long) COWD_PARENT_NAME);
            return;
        }
        int tail = COWD_PARENT_NAME + COWD_ROOT_GEOMETRY_BYTES;
        int firstUsed = -1;
        for (int i = tail; i < COWD_PARENT_GENERATION + 4 && firstUsed < 0; i++) {
            if (h.get(i) != 0) {
                firstUsed = i;
            }
        }
        if (firstUsed < 0) {
            return;
        }
        if (written.length <= COWD_ROOT_GEOMETRY_BYTES && firstUsed < COWD_PARENT_NAME + COWD_PARENT_NAME_BYTES) {
            // The geometry ends the name for a C reader; show what was written after it.
            name = new String(untilNul(Arrays.copyOfRange(field, firstUsed - COWD_PARENT_NAME, field.length)),
                    StandardCharsets.UTF_8);
        }
        parents.putIfAbsent(name.isEmpty() ? "(COWD root disk with a parent name field in use)" : name,
                (long) COWD_PARENT_NAME);
    }

    // ---------------------------------------------------------------- text descriptor file

    private void inspectDescriptorFile(ImageBytes image, InspectionBuilder result) {
        ByteBuffer head = image.read(0, SNIFF_BYTES);
        byte[] sniff = new byte[head.remaining()];
        head.get(sniff);
        if (!looksLikeDescriptor(sniff)) {
            return;
        }
        result.magicFound();
        // Read one byte more than allowed rather than trusting size(): it may be a placeholder.
        ByteBuffer all = image.read(0, VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES + 1);
        if (all.remaining() > VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES) {
            throw new InspectionFailure(FindingCode.VMDK_MALFORMED_DESCRIPTOR, 0,
                    "text that looks like a VMDK descriptor is larger than "
                            + VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES + " bytes");
        }
        byte[] text = new byte[all.remaining()];
        all.get(text);
        VmdkDescriptor descriptor = VmdkDescriptorParser.parse(text, 0);
        if (descriptor.extents().isEmpty()) {
            throw new InspectionFailure(FindingCode.VMDK_MALFORMED_DESCRIPTOR, 0, "descriptor file names no extents");
        }
        describeDescriptorFile(descriptor, 0, result);
        Map<String, Long> parents = new LinkedHashMap<>();
        collectParents(descriptor, 0, parents);
        reportChangeTrackingFile(descriptor, 0, result);
        parents.forEach((target, offset) ->
                result.reference(ExternalReference.Kind.BACKING, FindingCode.VMDK_PARENT_HINT, target, offset));
        result.matched();
    }

    /** Variant, virtual size and extent references of a descriptor whose extents all live elsewhere. */
    private static void describeDescriptorFile(VmdkDescriptor descriptor, long base, InspectionBuilder result) {
        result.variant(requireCreateType(descriptor, base));
        long sectors = 0;
        for (VmdkDescriptor.Extent extent : descriptor.extents()) {
            try {
                sectors = Math.addExact(sectors, extent.sectors());
            } catch (ArithmeticException overflow) {
                throw new InspectionFailure(FindingCode.VMDK_MALFORMED_DESCRIPTOR, base + extent.textOffset(),
                        "extent sizes add up to more than any real disk");
            }
        }
        Bounds.requireRange(sectors, 0, MAX_SECTORS, base, FindingCode.VMDK_MALFORMED_DESCRIPTOR,
                "total extent size in sectors");
        result.detail("extents", descriptor.extents().size()).virtualSize(sectors * Sectors.SIZE);
        reportAllExtents(descriptor, base, result);
    }

    private static String requireCreateType(VmdkDescriptor descriptor, long base) {
        return descriptor.createType().orElseThrow(() -> new InspectionFailure(
                FindingCode.VMDK_MALFORMED_DESCRIPTOR, base, "VMDK descriptor has no createType"));
    }

    /**
     * Whether text without a binary magic is a VMDK descriptor: it starts with the descriptor
     * signature, or qemu's own probe would call it VMDK, or it is text naming a createType.
     */
    static boolean looksLikeDescriptor(byte[] head) {
        String text = new String(head, StandardCharsets.ISO_8859_1);
        if (text.startsWith(DESCRIPTOR_SIGNATURE) || qemuProbeMatches(head)) {
            return true;
        }
        return text.indexOf('\0') < 0 && text.contains("createType");
    }

    /**
     * qemu block/vmdk.c vmdk_probe over the first {@link #QEMU_PROBE_BYTES}: comment lines and
     * lines of spaces may precede a {@code version=1|2|3} line.
     */
    private static boolean qemuProbeMatches(byte[] head) {
        int end = Math.min(head.length, QEMU_PROBE_BYTES);
        int p = 0;
        while (p < end) {
            if (head[p] == '#') {
                while (p < end && head[p] != '\n') {
                    p++;
                }
                p++;
                continue;
            }
            if (head[p] == ' ') {
                while (p < end && head[p] == ' ') {
                    p++;
                }
                if (p < end && head[p] == '\r') {
                    p++;
                }
                if (p == end || head[p] != '\n') {
                    return false;
                }
                p++;
                continue;
            }
            return versionLineAt(head, p, end);
        }
        return false;
    }

    private static boolean versionLineAt(byte[] head, int p, int end) {
        String prefix = "version=";
        if (end - p < prefix.length() + 2) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (head[p + i] != prefix.charAt(i)) {
                return false;
            }
        }
        int digit = head[p + prefix.length()];
        if (digit < '1' || digit > '3') {
            return false;
        }
        int after = p + prefix.length() + 1;
        return head[after] == '\n' || (head[after] == '\r' && after + 1 < end && head[after + 1] == '\n');
    }

    private static boolean isAllZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
