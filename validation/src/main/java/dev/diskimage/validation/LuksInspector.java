package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.luks.Luks1Header;
import dev.diskimage.core.luks.Luks2BinaryHeader;
import dev.diskimage.core.luks.Luks2Metadata;
import dev.diskimage.core.luks.LuksFormatException;
import java.nio.ByteBuffer;

/**
 * Recognises LUKS encrypted volumes (the format qemu calls {@code luks}): LUKS1 from its 592-byte
 * binary header and key slots (LUKS1 on-disk format specification 1.2.3), LUKS2 from its binary
 * header, JSON metadata area and second header copy (LUKS2 on-disk format specification). Every
 * key slot, the payload and the data segment must lie inside the file; the virtual size is the
 * payload qemu exposes.
 *
 * <p>The structures are parsed by {@code dev.diskimage.core.luks}, the one LUKS parser (crypto's
 * {@code LuksHeader} uses it too); this inspector reads the bytes through its bounded reader, so a
 * stream keeps exactly the regions named here, and turns the parser's reasons into findings.
 */
final class LuksInspector implements FormatInspector {

    // LUKS spec: magic "LUKS\xba\xbe" at offset 0; the LUKS2 second header uses "SKUL\xba\xbe".
    private static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
    private static final int OFF_VERSION = 6;
    // Not a spec limit: the JSON text is read up to 64 KiB (cryptsetup writes a few KiB); the
    // checksum is verified when the whole header fits in the same 64 KiB.
    private static final int MAX_JSON_READ = 64 << 10;
    private static final int JSON_CHUNK = 4096;

    @Override
    public DiskFormat format() {
        return DiskFormat.LUKS;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer magic = image.read(0, MAGIC.length);
        if (!Magic.startsWith(magic, MAGIC)) {
            return;
        }
        result.magicFound();
        int version = Bounds.u16(image.readExactly(OFF_VERSION, 2, "LUKS version"), 0);
        if (version == 1) {
            result.variant("luks1");
            inspectLuks1(image, result);
        } else if (version == 2) {
            result.variant("luks2");
            inspectLuks2(image, result);
        } else {
            throw malformed(OFF_VERSION, "LUKS version " + version + " is not supported (only 1 and 2)");
        }
    }

    private static void inspectLuks1(ImageBytes image, InspectionBuilder result) {
        long fileSize = image.size();
        ByteBuffer header = image.readExactly(0, Luks1Header.LENGTH, "LUKS1 header");
        Luks1Header luks1;
        try {
            luks1 = Luks1Header.parse(header, fileSize);
        } catch (LuksFormatException e) {
            throw failure(e);
        }
        result.detail("cipher", luks1.cipherName() + "-" + luks1.cipherMode());
        result.detail("hash", luks1.hashSpec());
        result.detail("key_bytes", (long) luks1.keyBytes());
        result.detail("payload_offset", luks1.payloadOffset());
        result.detail("active_key_slots", luks1.activeKeySlots().size());
        result.virtualSize(fileSize - luks1.payloadOffset());
        result.matched();
    }

    private static void inspectLuks2(ImageBytes image, InspectionBuilder result) {
        long fileSize = image.size();
        ByteBuffer binary = image.readExactly(0, Luks2BinaryHeader.BINARY_LENGTH, "LUKS2 binary header");
        try {
            Luks2BinaryHeader primary = Luks2BinaryHeader.parsePrimary(binary);
            long hdrSize = primary.hdrSize();
            Bounds.requireWithin(0, 2 * hdrSize, fileSize, FindingCode.TRUNCATED,
                    "LUKS2 primary and secondary headers");
            ByteBuffer secondary = image.readExactly(hdrSize, Luks2BinaryHeader.SECONDARY_PREFIX,
                    "LUKS2 secondary header");
            if (!primary.matchesSecondary(secondary)) {
                throw malformed(hdrSize, "LUKS2 secondary header at " + hdrSize + " is missing or disagrees");
            }
            if (hdrSize <= MAX_JSON_READ && primary.checksumAlgorithm().equals("sha256")) {
                primary.verifyChecksum(image.readExactly(0, (int) hdrSize, "LUKS2 header"));
                result.detail("checksum_verified", true);
            }
            Luks2Metadata metadata = readJson(image, hdrSize, fileSize);
            result.detail("hdr_size", hdrSize);
            result.detail("checksum", primary.checksumAlgorithm());
            long offset = metadata.dataSegment().offset();
            result.detail("payload_offset", offset);
            result.virtualSize(metadata.dataSegment().size().orElse(fileSize - offset));
            result.matched();
        } catch (LuksFormatException e) {
            throw failure(e);
        }
    }

    /** Reads the NUL-terminated JSON area (up to a cap) and parses it as LUKS2 metadata. */
    private static Luks2Metadata readJson(ImageBytes image, long hdrSize, long fileSize) {
        // A whole number of chunks: hdr_size is a power of two of 16 KiB or more, so both
        // hdr_size - 4 KiB and the 64 KiB cap are multiples of 4 KiB.
        int area = (int) Math.min(hdrSize - Luks2BinaryHeader.BINARY_LENGTH, MAX_JSON_READ);
        byte[] text = new byte[area];
        for (int at = 0; at < area; at += JSON_CHUNK) {
            ByteBuffer chunk = image.readExactly(Luks2BinaryHeader.BINARY_LENGTH + (long) at, JSON_CHUNK,
                    "LUKS2 JSON area");
            chunk.get(0, text, at, JSON_CHUNK);
            for (int i = at; i < at + JSON_CHUNK; i++) {
                if (text[i] == 0) {
                    // Asked for here, not held in a field: most images are not LUKS2, and a JSON
                    // reader costs hundreds of classes to load.
                    return Luks2Metadata.parse(text, i, hdrSize, fileSize);
                }
            }
        }
        throw malformed(Luks2BinaryHeader.BINARY_LENGTH, "LUKS2 JSON metadata is not terminated within " + area
                + " bytes");
    }

    /** The core parser's reason as this inspector's finding: same offset, same text. */
    private static InspectionFailure failure(LuksFormatException e) {
        FindingCode code = e.kind() == LuksFormatException.Kind.TRUNCATED ? FindingCode.TRUNCATED
                : FindingCode.LUKS_MALFORMED;
        return new InspectionFailure(code, e.offset(), e.reason());
    }

    private static InspectionFailure malformed(long offset, String message) {
        return new InspectionFailure(FindingCode.LUKS_MALFORMED, offset, message);
    }
}
