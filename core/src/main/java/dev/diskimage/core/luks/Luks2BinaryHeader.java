package dev.diskimage.core.luks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Map;

/**
 * The 4096-byte binary part of a LUKS2 header (LUKS2 on-disk format specification, "binary
 * header"): big-endian, followed by the JSON metadata area; the whole header (binary + JSON) is
 * {@code hdrSize} bytes, and a second copy starts at {@code hdrSize}.
 *
 * @param hdrSize the size of one header copy, binary part and JSON area together
 * @param seqid the sequence id, incremented on every metadata update
 * @param label the label (sanitized; may be empty)
 * @param checksumAlgorithm the checksum algorithm name, e.g. {@code sha256}
 * @param uuid the volume UUID as written (sanitized)
 * @param subsystem the subsystem label (sanitized; may be empty)
 * @param hdrOffset the offset of this copy in the file
 */
public record Luks2BinaryHeader(long hdrSize, long seqid, String label, String checksumAlgorithm, String uuid,
        String subsystem, long hdrOffset) {

    /** LUKS2 spec: the binary header is 4096 bytes; the JSON area follows it. */
    public static final int BINARY_LENGTH = 4096;
    /** LUKS2 spec: smallest header size (binary + JSON), 16 KiB. */
    public static final long MIN_HDR_SIZE = 16L << 10;
    /** LUKS2 spec: largest header size (binary + JSON), 4 MiB. */
    public static final long MAX_HDR_SIZE = 4L << 20;

    // LUKS2 spec: binary header layout.
    private static final byte[] MAGIC_SECONDARY = {'S', 'K', 'U', 'L', (byte) 0xba, (byte) 0xbe};
    private static final int OFF_VERSION = 6;
    private static final int OFF_HDR_SIZE = 8;
    private static final int OFF_SEQID = 16;
    private static final int OFF_LABEL = 24;
    private static final int LABEL_LENGTH = 48;
    private static final int OFF_CHECKSUM_ALG = 72;
    private static final int OFF_UUID = 168;
    private static final int UUID_LENGTH = 40;
    private static final int OFF_SUBSYSTEM = 208;
    private static final int OFF_HDR_OFFSET = 256;
    /** LUKS2 spec: offset of the 64-byte checksum field, zeroed while the checksum is computed. */
    public static final int OFF_CSUM = 448;
    private static final int CSUM_LENGTH = 64;
    /** The bytes {@link #matchesSecondary} needs: up to and including {@code hdr_offset}. */
    public static final int SECONDARY_PREFIX = OFF_HDR_OFFSET + Long.BYTES;

    private static final Map<String, String> DIGESTS = Map.of("sha1", "SHA-1", "sha256", "SHA-256",
            "sha512", "SHA-512");

    /**
     * Parses the primary binary header (magic and version are the caller's). Checks, in this order:
     * {@code hdr_size} is a power of two from 16 KiB to 4 MiB, {@code hdr_offset} is 0, and the
     * checksum algorithm is a printable, terminated, non-empty name.
     *
     * @param binary at least {@link #BINARY_LENGTH} bytes from offset 0 of the volume; position
     *     and byte order are left alone
     * @return the header
     * @throws LuksFormatException (kind {@code MALFORMED}) naming the rule broken and its field
     */
    public static Luks2BinaryHeader parsePrimary(ByteBuffer binary) {
        ByteBuffer be = binary.duplicate().order(ByteOrder.BIG_ENDIAN);
        long hdrSize = be.getLong(OFF_HDR_SIZE);
        if (hdrSize < MIN_HDR_SIZE || hdrSize > MAX_HDR_SIZE || Long.bitCount(hdrSize) != 1) {
            throw LuksFormatException.malformed(OFF_HDR_SIZE, "LUKS2 hdr_size " + Long.toUnsignedString(hdrSize)
                    + " is not a power of two between " + MIN_HDR_SIZE + " and " + MAX_HDR_SIZE);
        }
        long hdrOffset = be.getLong(OFF_HDR_OFFSET);
        if (hdrOffset != 0) {
            throw LuksFormatException.malformed(OFF_HDR_OFFSET, "LUKS2 primary header claims to sit at offset "
                    + Long.toUnsignedString(hdrOffset));
        }
        String checksumAlg = LuksFields.requireName(be, OFF_CHECKSUM_ALG, "LUKS2 checksum algorithm");
        return new Luks2BinaryHeader(hdrSize, be.getLong(OFF_SEQID), LuksFields.text(be, OFF_LABEL, LABEL_LENGTH),
                checksumAlg, LuksFields.text(be, OFF_UUID, UUID_LENGTH), LuksFields.text(be, OFF_SUBSYSTEM, LABEL_LENGTH),
                0);
    }

    /**
     * Whether {@code secondary}, read at offset {@link #hdrSize()}, is this header's second copy:
     * secondary magic {@code SKUL\xba\xbe}, version 2, the same {@code hdr_size}, and
     * {@code hdr_offset} equal to where it sits.
     *
     * @param secondary at least {@link #SECONDARY_PREFIX} bytes read at {@code hdrSize}
     * @return true when it is
     */
    public boolean matchesSecondary(ByteBuffer secondary) {
        ByteBuffer be = secondary.duplicate().order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < MAGIC_SECONDARY.length; i++) {
            if (be.get(i) != MAGIC_SECONDARY[i]) {
                return false;
            }
        }
        return LuksFields.u16(be, OFF_VERSION) == 2 && be.getLong(OFF_HDR_SIZE) == hdrSize
                && be.getLong(OFF_HDR_OFFSET) == hdrSize;
    }

    /**
     * Whether this project can verify the header checksum: {@code sha1}, {@code sha256} or
     * {@code sha512} (cryptsetup writes sha256).
     *
     * @return true for those algorithms
     */
    public boolean checksumSupported() {
        return DIGESTS.containsKey(checksumAlgorithm.toLowerCase(Locale.ROOT));
    }

    /**
     * Verifies the header checksum: the digest of all {@code hdrSize} bytes with the 64-byte
     * checksum field counted as zeros, stored at the start of that field and zero-padded.
     *
     * @param whole the whole header copy, {@code hdrSize} bytes from its start
     * @throws LuksFormatException (kind {@code MALFORMED}, at the checksum field) when it does not
     *     match
     * @throws IllegalStateException when {@link #checksumSupported()} is false
     * @throws IndexOutOfBoundsException when {@code whole} is shorter than {@code hdrSize}
     */
    public void verifyChecksum(ByteBuffer whole) {
        String algorithm = DIGESTS.get(checksumAlgorithm.toLowerCase(Locale.ROOT));
        if (algorithm == null) {
            throw new IllegalStateException("unsupported LUKS2 checksum algorithm");
        }
        if (whole.limit() < hdrSize) {
            throw new IndexOutOfBoundsException("the LUKS2 header is " + hdrSize + " bytes, got " + whole.limit());
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + algorithm, e);
        }
        ByteBuffer bytes = whole.duplicate();
        bytes.limit((int) hdrSize).position(0);
        ByteBuffer before = bytes.duplicate().limit(OFF_CSUM);
        digest.update(before);
        digest.update(new byte[CSUM_LENGTH]);
        ByteBuffer after = bytes.duplicate().position(OFF_CSUM + CSUM_LENGTH);
        digest.update(after);
        byte[] computed = digest.digest();
        for (int i = 0; i < CSUM_LENGTH; i++) {
            byte expected = i < computed.length ? computed[i] : 0;
            if (whole.get(OFF_CSUM + i) != expected) {
                throw LuksFormatException.malformed(OFF_CSUM, "LUKS2 header checksum does not match");
            }
        }
    }
}
