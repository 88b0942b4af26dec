package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.FindingCode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recognises VMDK in its three on-disk shapes: a hosted sparse extent ({@code KDMV}, which covers
 * monolithicSparse and streamOptimized, the latter possibly with its header in a footer), a
 * plain text descriptor file, and the ESX {@code COWD} sparse extent (reported as
 * {@code vmfsSparse} for the policy's allowlist to refuse).
 *
 * <p>Everything a VMDK can point at outside itself is reported: extents in other files
 * ({@link FindingCode#VMDK_EXTERNAL_EXTENT}) and parent disks ({@link FindingCode#VMDK_PARENT_HINT}).
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
    /** Disk sector size; every VMDK offset and size field counts these. */
    static final int SECTOR = 512;
    /** qemu block/vmdk.c: a grain (cluster) above 0x200000 sectors (1 GiB) is refused. */
    static final long MAX_GRAIN_SECTORS = 0x200000;
    /** Spec: a grain table always holds 512 entries (qemu refuses more). */
    static final long GTES_PER_GT = 512;
    /** qemu block/vmdk.c: the grain directory (L1 table) may hold at most 32 Mi entries. */
    static final long MAX_GD_ENTRIES = 32L * 1024 * 1024;
    /** Largest capacity in sectors whose byte size still fits a signed long. */
    static final long MAX_SECTORS = Long.MAX_VALUE / SECTOR;

    /** qemu block/vmdk.c: a footer is a footer marker, a header copy and an end-of-stream marker. */
    static final int FOOTER_BYTES = 3 * SECTOR;
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
    static final int QEMU_DESCRIPTOR_WINDOW_BYTES = 20 * SECTOR;
    private static final String PARENT_HINT_KEY = "parentFileNameHint";

    /** Bytes looked at to decide whether a file without magic is a text descriptor. */
    static final int SNIFF_BYTES = 4096;
    /** qemu block.c: format probes see the first 2048 bytes. */
    static final int QEMU_PROBE_BYTES = 2048;
    private static final String DESCRIPTOR_SIGNATURE = "# Disk DescriptorFile";

    /** createType of a hosted sparse extent with uncompressed grains. */
    static final String MONOLITHIC_SPARSE = "monolithicSparse";
    /** createType of a hosted sparse extent with deflate-compressed grains. */
    static final String STREAM_OPTIMIZED = "streamOptimized";
    /** createType of an ESX COWD sparse extent. */
    static final String VMFS_SPARSE = "vmfsSparse";

    // VMDK3 (COWD) header fields after the magic (qemu VMDK3Header, ESX COWDisk_Header).
    private static final int COWD_HEADER_BYTES = 44;
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
            long end = size - size % SECTOR;
            if (end < VmdkSparseHeader.SIZE + FOOTER_BYTES) {
                throw new InspectionFailure(FindingCode.TRUNCATED, 0,
                        "streamOptimized header defers to a footer, but the image of " + size
                                + " bytes has no room for one");
            }
            headerOffset = end - FOOTER_BYTES + SECTOR;
            header = footerHeader(image, end - FOOTER_BYTES);
            result.detail("footer_offset", headerOffset);
        }
        long capacity = checkSparseHeader(header, headerOffset, size);
        result.detail("version", header.version()).detail("grain_size", header.grainSize() * SECTOR)
                .detail("compressed", header.compressed());

        VmdkDescriptor descriptor = embeddedDescriptor(image, header, headerOffset, size);
        String inferred = header.compressed() ? STREAM_OPTIMIZED : MONOLITHIC_SPARSE;
        Map<String, Long> parents = new LinkedHashMap<>();
        if (descriptor == null) {
            result.variant(inferred);
        } else {
            long base = header.descriptorOffset() * SECTOR;
            String createType = requireCreateType(descriptor, base);
            if ((createType.equals(MONOLITHIC_SPARSE) || createType.equals(STREAM_OPTIMIZED))
                    && !createType.equals(inferred)) {
                throw new InspectionFailure(FindingCode.MALFORMED_HEADER, headerOffset,
                        "descriptor says createType " + createType + " but the sparse header makes qemu read it as "
                                + inferred);
            }
            result.variant(createType);
            reportSparseExtents(descriptor, base, result);
            collectParents(descriptor, base, parents);
        }
        collectQemuWindowParent(image, parents);
        parents.forEach((target, offset) ->
                result.reference(ExternalReference.Kind.BACKING, FindingCode.VMDK_PARENT_HINT, target, offset));
        result.virtualSize(capacity * SECTOR).matched();
    }

    private static VmdkSparseHeader footerHeader(ImageBytes image, long footerStart) {
        ByteBuffer footer = image.readExactly(footerStart, FOOTER_BYTES, "VMDK streamOptimized footer")
                .order(ByteOrder.LITTLE_ENDIAN);
        boolean valid = Bounds.u32(footer, MARKER_SIZE) == 0
                && Bounds.u32(footer, MARKER_TYPE) == MARKER_FOOTER
                && footer.getInt(SECTOR) == VmdkSparseHeader.MAGIC
                && footer.getLong(2 * SECTOR + MARKER_VAL) == 0
                && Bounds.u32(footer, 2 * SECTOR + MARKER_SIZE) == 0
                && Bounds.u32(footer, 2 * SECTOR + MARKER_TYPE) == MARKER_END_OF_STREAM;
        if (!valid) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, footerStart,
                    "streamOptimized header defers to a footer, but no valid footer marker, header copy and "
                            + "end-of-stream marker end the image");
        }
        VmdkSparseHeader header = VmdkSparseHeader.parse(footer.slice(SECTOR, SECTOR));
        if (header.gdOffset() == VmdkSparseHeader.GD_AT_END) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, footerStart + SECTOR,
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
        Bounds.requireWithin(0, overHead * SECTOR, size, FindingCode.TRUNCATED, "metadata before the first grain");
        return capacity;
    }

    private static void requireTable(long offsetSectors, long entries, long fieldOffset, long size, String what) {
        if (entries == 0) {
            return;
        }
        long sector = Bounds.requireRange(offsetSectors, 1, MAX_SECTORS, fieldOffset, FindingCode.MALFORMED_HEADER,
                what + " offset in sectors");
        Bounds.requireWithin(sector * SECTOR, entries * 4, size, FindingCode.TRUNCATED, what);
    }

    /** The embedded descriptor, or {@code null} when the header declares none or it is all zeros. */
    private static VmdkDescriptor embeddedDescriptor(ImageBytes image, VmdkSparseHeader h, long base, long size) {
        byte[] region = descriptorRegion(image, h, base, size);
        if (region == null || isAllZero(region)) {
            return null;
        }
        return VmdkDescriptorParser.parse(region, h.descriptorOffset() * SECTOR);
    }

    private static byte[] descriptorRegion(ImageBytes image, VmdkSparseHeader h, long base, long size) {
        if (h.descriptorOffset() == 0) {
            return null;
        }
        long sector = Bounds.requireRange(h.descriptorOffset(), 1, MAX_SECTORS, base + 28,
                FindingCode.MALFORMED_HEADER, "descriptor offset in sectors");
        long sectors = Bounds.requireRange(h.descriptorSize(), 1, VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES / SECTOR,
                base + 36, FindingCode.VMDK_MALFORMED_DESCRIPTOR, "embedded descriptor size in sectors");
        long offset = sector * SECTOR;
        int length = (int) (sectors * SECTOR);
        Bounds.requireWithin(offset, length, size, FindingCode.TRUNCATED, "embedded descriptor");
        ByteBuffer bytes = image.readExactly(offset, length, "embedded descriptor");
        byte[] region = new byte[length];
        bytes.get(region);
        return region;
    }

    /** The zero-capacity case: qemu treats the embedded descriptor as a descriptor file. */
    private static void inspectDescriptorInsideSparse(ImageBytes image, VmdkSparseHeader h, long size,
            InspectionBuilder result) {
        byte[] region = descriptorRegion(image, h, 0, size);
        long base = h.descriptorOffset() * SECTOR;
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
        collectQemuWindowParent(image, parents);
        parents.forEach((target, offset) ->
                result.reference(ExternalReference.Kind.BACKING, FindingCode.VMDK_PARENT_HINT, target, offset));
        result.matched();
    }

    /**
     * A sparse file's own descriptor names the file itself as its one SPARSE extent; the real file
     * name is unknown here, so exactly one SPARSE extent counts as "self" and anything else is
     * reported as an external extent.
     */
    private static void reportSparseExtents(VmdkDescriptor descriptor, long base, InspectionBuilder result) {
        if (descriptor.extents().size() == 1
                && descriptor.extents().get(0).type() == VmdkDescriptor.ExtentType.SPARSE) {
            result.detail("extent", descriptor.extents().get(0).fileName().orElse(""));
            return;
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

    private static void collectParents(VmdkDescriptor descriptor, long base, Map<String, Long> parents) {
        if (descriptor.parentFileNameHint().isPresent()) {
            parents.putIfAbsent(descriptor.parentFileNameHint().get(), base);
        } else if (descriptor.declaresParent()) {
            parents.putIfAbsent("parentCID=" + Long.toHexString(descriptor.parentCid().getAsLong()), base);
        }
    }

    /** Reports a parent hint wherever qemu would find one in its fixed descriptor window. */
    private static void collectQemuWindowParent(ImageBytes image, Map<String, Long> parents) {
        ByteBuffer window = image.read(QEMU_DESCRIPTOR_WINDOW_OFFSET, QEMU_DESCRIPTOR_WINDOW_BYTES);
        byte[] bytes = new byte[window.remaining()];
        window.get(bytes);
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        String text = new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
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
        long entries = Bounds.requireRange(Bounds.u32(h, COWD_GD_ENTRIES), 0, MAX_GD_ENTRIES, COWD_GD_ENTRIES, bad,
                "COWD grain directory entries");
        requireTable(Bounds.u32(h, COWD_GD_OFFSET), entries, COWD_GD_OFFSET, size, "COWD grain directory");
        result.variant(VMFS_SPARSE).detail("version", Bounds.u32(h, COWD_VERSION))
                .detail("grain_size", grain * SECTOR)
                .virtualSize(Bounds.u32(h, COWD_NUM_SECTORS) * SECTOR).matched();
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
        result.detail("extents", descriptor.extents().size()).virtualSize(sectors * SECTOR);
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
