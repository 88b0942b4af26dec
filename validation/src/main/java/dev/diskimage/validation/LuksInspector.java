package dev.diskimage.validation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.StrictJson;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/**
 * Recognises LUKS encrypted volumes (the format qemu calls {@code luks}): LUKS1 from its 592-byte
 * binary header and key slots (LUKS1 on-disk format specification 1.2.3), LUKS2 from its binary
 * header, JSON metadata area and second header copy (LUKS2 on-disk format specification). Every
 * key slot, the payload and the data segment must lie inside the file; the virtual size is the
 * payload qemu exposes.
 */
final class LuksInspector implements FormatInspector {

    // LUKS spec: magic "LUKS\xba\xbe" at offset 0; the LUKS2 second header uses "SKUL\xba\xbe".
    private static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
    private static final byte[] MAGIC_SECONDARY = {'S', 'K', 'U', 'L', (byte) 0xba, (byte) 0xbe};
    private static final int OFF_VERSION = 6;

    // LUKS1 spec: header layout (big-endian).
    private static final int LUKS1_HEADER_LENGTH = 592;
    // Offsets in the header count 512-byte sectors: the 592-byte header fills sectors 0 and 1.
    private static final long LUKS1_HEADER_SECTORS = 2;
    private static final int OFF_CIPHER_NAME = 8;
    private static final int OFF_CIPHER_MODE = 40;
    private static final int OFF_HASH_SPEC = 72;
    private static final int NAME_FIELD = 32;
    private static final int OFF_PAYLOAD_OFFSET = 104;
    private static final int OFF_KEY_BYTES = 108;
    private static final int OFF_MK_DIGEST_ITER = 164;
    private static final int OFF_KEY_SLOTS = 208;
    private static final int KEY_SLOT_LENGTH = 48;
    private static final int KEY_SLOTS = 8;
    // LUKS1 spec: key slot fields, relative to the slot.
    private static final int SLOT_ACTIVE = 0;
    private static final int SLOT_ITERATIONS = 4;
    private static final int SLOT_MATERIAL_OFFSET = 40;
    private static final int SLOT_STRIPES = 44;
    private static final long KEY_ENABLED = 0x00AC71F3L;
    private static final long KEY_DISABLED = 0x0000DEADL;
    // LUKS1 spec: anti-forensic splitting uses 4000 stripes (qemu refuses other values).
    private static final long STRIPES = 4000;
    // Master key lengths of real ciphers: AES-128/192/256, and XTS doubles them.
    private static final Set<Long> KEY_BYTES = Set.of(16L, 24L, 32L, 48L, 64L);

    // LUKS2 spec: binary header layout (big-endian), 4096 bytes followed by the JSON area.
    private static final int LUKS2_BINARY_LENGTH = 4096;
    private static final int OFF_HDR_SIZE = 8;
    private static final int OFF_CHECKSUM_ALG = 72;
    private static final int OFF_HDR_OFFSET = 256;
    private static final int OFF_CSUM = 448;
    private static final int CSUM_LENGTH = 64;
    // LUKS2 spec: hdr_size (binary + JSON) is a power of two from 16 KiB to 4 MiB.
    private static final long MIN_HDR_SIZE = 16L << 10;
    private static final long MAX_HDR_SIZE = 4L << 20;
    // Not a spec limit: the JSON text is read up to 64 KiB (cryptsetup writes a few KiB); the
    // checksum is verified when the whole header fits in the same 64 KiB.
    private static final int MAX_JSON_READ = 64 << 10;
    private static final int JSON_CHUNK = 4096;
    private static final String DYNAMIC = "dynamic";


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
        ByteBuffer header = image.readExactly(0, LUKS1_HEADER_LENGTH, "LUKS1 header");
        String cipher = requireName(header, OFF_CIPHER_NAME, "LUKS1 cipher name");
        String mode = requireName(header, OFF_CIPHER_MODE, "LUKS1 cipher mode");
        String hash = requireName(header, OFF_HASH_SPEC, "LUKS1 hash spec");
        long keyBytes = Bounds.u32(header, OFF_KEY_BYTES);
        if (!KEY_BYTES.contains(keyBytes)) {
            throw malformed(OFF_KEY_BYTES, "LUKS1 key length " + keyBytes + " bytes is not a known cipher key size");
        }
        if (Bounds.u32(header, OFF_MK_DIGEST_ITER) == 0) {
            throw malformed(OFF_MK_DIGEST_ITER, "LUKS1 master key digest iteration count is 0");
        }
        long payloadSectors = Bounds.u32(header, OFF_PAYLOAD_OFFSET);
        long payload = payloadSectors * Sectors.SIZE;
        if (payloadSectors < LUKS1_HEADER_SECTORS || payload > fileSize) {
            throw malformed(OFF_PAYLOAD_OFFSET, "LUKS1 payload offset " + payload
                    + " overlaps the header or lies beyond the image of " + fileSize + " bytes");
        }
        int active = 0;
        for (int slot = 0; slot < KEY_SLOTS; slot++) {
            int base = OFF_KEY_SLOTS + slot * KEY_SLOT_LENGTH;
            long state = Bounds.u32(header, base + SLOT_ACTIVE);
            if (state == KEY_DISABLED) {
                continue;
            }
            if (state != KEY_ENABLED) {
                throw malformed(base, "LUKS1 key slot " + slot + " has invalid state 0x" + Long.toHexString(state));
            }
            active++;
            if (Bounds.u32(header, base + SLOT_ITERATIONS) == 0) {
                throw malformed(base + SLOT_ITERATIONS, "LUKS1 key slot " + slot + " has 0 iterations");
            }
            long stripes = Bounds.u32(header, base + SLOT_STRIPES);
            if (stripes != STRIPES) {
                throw malformed(base + SLOT_STRIPES, "LUKS1 key slot " + slot + " has " + stripes + " stripes");
            }
            long materialSectors = Bounds.u32(header, base + SLOT_MATERIAL_OFFSET);
            long material = materialSectors * Sectors.SIZE;
            // LUKS1 spec: key material lies after the header and before the payload. Material
            // starting past the payload fails the second test too (payload - material < 0).
            if (materialSectors < LUKS1_HEADER_SECTORS || keyBytes * STRIPES > payload - material) {
                throw malformed(base + SLOT_MATERIAL_OFFSET, "LUKS1 key slot " + slot + " material at " + material
                        + " overlaps the header or the payload at " + payload);
            }
        }
        result.detail("cipher", cipher + "-" + mode);
        result.detail("hash", hash);
        result.detail("key_bytes", keyBytes);
        result.detail("payload_offset", payload);
        result.detail("active_key_slots", active);
        result.virtualSize(fileSize - payload);
        result.matched();
    }

    private static void inspectLuks2(ImageBytes image, InspectionBuilder result) {
        long fileSize = image.size();
        ByteBuffer binary = image.readExactly(0, LUKS2_BINARY_LENGTH, "LUKS2 binary header");
        long hdrSize = binary.getLong(OFF_HDR_SIZE);
        if (hdrSize < MIN_HDR_SIZE || hdrSize > MAX_HDR_SIZE || Long.bitCount(hdrSize) != 1) {
            throw malformed(OFF_HDR_SIZE, "LUKS2 hdr_size " + Long.toUnsignedString(hdrSize)
                    + " is not a power of two between " + MIN_HDR_SIZE + " and " + MAX_HDR_SIZE);
        }
        if (binary.getLong(OFF_HDR_OFFSET) != 0) {
            throw malformed(OFF_HDR_OFFSET, "LUKS2 primary header claims to sit at offset "
                    + Long.toUnsignedString(binary.getLong(OFF_HDR_OFFSET)));
        }
        String checksumAlg = requireName(binary, OFF_CHECKSUM_ALG, "LUKS2 checksum algorithm");
        Bounds.requireWithin(0, 2 * hdrSize, fileSize, FindingCode.TRUNCATED, "LUKS2 primary and secondary headers");
        ByteBuffer secondary = image.readExactly(hdrSize, OFF_HDR_OFFSET + Long.BYTES, "LUKS2 secondary header");
        if (!Magic.startsWith(secondary, MAGIC_SECONDARY) || Bounds.u16(secondary, OFF_VERSION) != 2
                || secondary.getLong(OFF_HDR_SIZE) != hdrSize || secondary.getLong(OFF_HDR_OFFSET) != hdrSize) {
            throw malformed(hdrSize, "LUKS2 secondary header at " + hdrSize + " is missing or disagrees");
        }

        if (hdrSize <= MAX_JSON_READ && checksumAlg.equals("sha256")) {
            verifyChecksum(image, binary, (int) hdrSize);
            result.detail("checksum_verified", true);
        }
        JsonNode metadata = readJson(image, hdrSize);
        long[] segment = dataSegment(metadata, hdrSize, fileSize);
        result.detail("hdr_size", hdrSize);
        result.detail("checksum", checksumAlg);
        result.detail("payload_offset", segment[0]);
        result.virtualSize(segment[1]);
        result.matched();
    }

    /** Verifies the LUKS2 header checksum: SHA-256 over hdr_size bytes with the csum field zeroed. */
    private static void verifyChecksum(ImageBytes image, ByteBuffer binary, int hdrSize) {
        ByteBuffer whole = image.readExactly(0, hdrSize, "LUKS2 header");
        byte[] stored = new byte[CSUM_LENGTH];
        binary.get(OFF_CSUM, stored);
        byte[] computed = Checksums.digest("SHA-256", whole, hdrSize, OFF_CSUM, CSUM_LENGTH);
        for (int i = 0; i < CSUM_LENGTH; i++) {
            byte expected = i < computed.length ? computed[i] : 0;
            if (stored[i] != expected) {
                throw malformed(OFF_CSUM, "LUKS2 header checksum does not match");
            }
        }
    }

    /** Reads the NUL-terminated JSON area (up to a cap) and parses it as one JSON object. */
    private static JsonNode readJson(ImageBytes image, long hdrSize) {
        long area = Math.min(hdrSize - LUKS2_BINARY_LENGTH, MAX_JSON_READ);
        byte[] text = new byte[(int) area];
        int length = -1;
        for (int at = 0; at < area && length < 0; at += JSON_CHUNK) {
            int take = (int) Math.min(JSON_CHUNK, area - at);
            ByteBuffer chunk = image.readExactly(LUKS2_BINARY_LENGTH + (long) at, take, "LUKS2 JSON area");
            chunk.get(0, text, at, take);
            for (int i = at; i < at + take; i++) {
                if (text[i] == 0) {
                    length = i;
                    break;
                }
            }
        }
        if (length < 0) {
            throw malformed(LUKS2_BINARY_LENGTH, "LUKS2 JSON metadata is not terminated within " + area + " bytes");
        }
        JsonNode root;
        try {
            // Strict JSON: a duplicated key would let cryptsetup and this parser read different
            // metadata. Asked for here, not held in a field: most images are not LUKS2, and a
            // JSON reader costs hundreds of classes to load.
            root = StrictJson.tree().readTree(new String(text, 0, length, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw malformed(LUKS2_BINARY_LENGTH, "LUKS2 JSON metadata cannot be parsed: " + StrictJson.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw malformed(LUKS2_BINARY_LENGTH, "LUKS2 JSON metadata is not an object");
        }
        for (String section : new String[] {"keyslots", "segments", "digests", "config"}) {
            if (!root.path(section).isObject()) {
                throw malformed(LUKS2_BINARY_LENGTH, "LUKS2 JSON metadata lacks the '" + section + "' object");
            }
        }
        return root;
    }

    /** Returns {offset, size} of the data segment with the lowest id, checked against the file. */
    private static long[] dataSegment(JsonNode metadata, long hdrSize, long fileSize) {
        JsonNode segments = metadata.get("segments");
        JsonNode first = null;
        long firstId = Long.MAX_VALUE;
        for (Map.Entry<String, JsonNode> entry : segments.properties()) {
            long id = parseUnsigned(entry.getKey(), "LUKS2 segment id");
            if (id < firstId) {
                firstId = id;
                first = entry.getValue();
            }
        }
        if (first == null || !first.isObject()) {
            throw malformed(LUKS2_BINARY_LENGTH, "LUKS2 metadata has no data segment");
        }
        long offset = parseUnsigned(first.path("offset").asText(""), "LUKS2 segment offset");
        // LUKS2 spec: data follows both header copies and the key slot area.
        if (offset < 2 * hdrSize || offset > fileSize) {
            throw malformed(LUKS2_BINARY_LENGTH, "LUKS2 segment offset " + offset
                    + " overlaps the headers or lies beyond the image of " + fileSize + " bytes");
        }
        String size = first.path("size").asText("");
        if (size.equals(DYNAMIC)) {
            return new long[] {offset, fileSize - offset};
        }
        long length = parseUnsigned(size, "LUKS2 segment size");
        Bounds.requireWithin(offset, length, fileSize, FindingCode.TRUNCATED, "LUKS2 data segment");
        return new long[] {offset, length};
    }

    private static long parseUnsigned(String text, String what) {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw malformed(LUKS2_BINARY_LENGTH, what + " '" + abbreviate(text) + "' is not a decimal number");
        }
        return Long.parseLong(text);
    }

    /**
     * Reads a NUL-terminated printable ASCII name from a fixed 32-byte field; empty is malformed.
     * A refused name is quoted in the finding as read (the finding escapes it).
     */
    private static String requireName(ByteBuffer header, int offset, String what) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < NAME_FIELD; i++) {
            int c = Bounds.u8(header, offset + i);
            if (c == 0) {
                break;
            }
            if (c < 0x20 || c > 0x7e || i == NAME_FIELD - 1) {
                throw malformed(offset, what + " '" + rawField(header, offset)
                        + "' is not a terminated printable name");
            }
            name.append((char) c);
        }
        if (name.length() == 0) {
            throw malformed(offset, what + " is empty");
        }
        return name.toString();
    }

    /** The whole name field up to its first NUL, byte for byte, for a finding to quote. */
    private static String rawField(ByteBuffer header, int offset) {
        StringBuilder raw = new StringBuilder(NAME_FIELD);
        for (int i = 0; i < NAME_FIELD && header.get(offset + i) != 0; i++) {
            raw.append((char) Bounds.u8(header, offset + i));
        }
        return raw.toString();
    }

    private static String abbreviate(String text) {
        return text.length() <= 24 ? text : text.substring(0, 24) + "...";
    }

    private static InspectionFailure malformed(long offset, String message) {
        return new InspectionFailure(FindingCode.LUKS_MALFORMED, offset, message);
    }
}
