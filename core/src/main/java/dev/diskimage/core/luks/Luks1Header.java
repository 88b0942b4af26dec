package dev.diskimage.core.luks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A LUKS1 header (LUKS1 on-disk format specification 1.2.3): the 592-byte big-endian structure at
 * offset 0 with the cipher, the master key digest and eight key slots. Byte arrays (salts, the
 * digest) are copied in and out, so a header cannot be changed after {@link #parse}.
 *
 * @param cipherName the cipher, e.g. {@code aes}
 * @param cipherMode the chaining and IV mode, e.g. {@code xts-plain64}
 * @param hashSpec the hash of PBKDF2 and of the anti-forensic splitter, e.g. {@code sha256}
 * @param payloadOffset where the encrypted payload starts, in bytes (the header stores sectors)
 * @param keyBytes the master key length in bytes (for XTS, both halves)
 * @param mkDigest the 20-byte PBKDF2 digest of the master key
 * @param mkDigestSalt the 32-byte salt of that digest
 * @param mkDigestIterations the PBKDF2 iteration count of that digest, 1 or more
 * @param uuid the volume UUID as written (sanitized)
 * @param keySlots all eight key slots, active or not, in slot order
 */
public record Luks1Header(String cipherName, String cipherMode, String hashSpec, long payloadOffset, int keyBytes,
        byte[] mkDigest, byte[] mkDigestSalt, long mkDigestIterations, String uuid, List<KeySlot> keySlots) {

    /** Length of the LUKS1 header: the bytes {@link #parse} needs. */
    public static final int LENGTH = 592;
    /** LUKS1 spec: eight key slots. */
    public static final int KEY_SLOTS = 8;
    /** LUKS1 spec: anti-forensic splitting uses 4000 stripes (qemu and cryptsetup refuse others). */
    public static final int STRIPES = 4000;
    /** LUKS1 spec: offsets count 512-byte sectors. */
    public static final int SECTOR = 512;

    // LUKS1 spec: header layout (big-endian).
    private static final long HEADER_SECTORS = 2; // the 592-byte header fills sectors 0 and 1
    private static final int OFF_CIPHER_NAME = 8;
    private static final int OFF_CIPHER_MODE = 40;
    private static final int OFF_HASH_SPEC = 72;
    private static final int OFF_PAYLOAD_OFFSET = 104;
    private static final int OFF_KEY_BYTES = 108;
    private static final int OFF_MK_DIGEST = 112;
    private static final int DIGEST_LENGTH = 20;
    private static final int OFF_MK_DIGEST_SALT = 132;
    private static final int SALT_LENGTH = 32;
    private static final int OFF_MK_DIGEST_ITER = 164;
    private static final int OFF_UUID = 168;
    private static final int UUID_LENGTH = 40;
    private static final int OFF_KEY_SLOTS = 208;
    private static final int KEY_SLOT_LENGTH = 48;
    // LUKS1 spec: key slot fields, relative to the slot; the state (active) is its first field.
    private static final int SLOT_ITERATIONS = 4;
    private static final int SLOT_SALT = 8;
    private static final int SLOT_MATERIAL_OFFSET = 40;
    private static final int SLOT_STRIPES = 44;
    private static final long KEY_ENABLED = 0x00AC71F3L;
    private static final long KEY_DISABLED = 0x0000DEADL;
    // Master key lengths of real ciphers: 128/192/256-bit keys, and XTS doubles them.
    private static final Set<Long> KEY_BYTES = Set.of(16L, 24L, 32L, 48L, 64L);

    /**
     * One LUKS1 key slot.
     *
     * @param index the slot number, 0 to 7
     * @param active whether the slot holds key material (state {@code 0x00AC71F3})
     * @param iterations the PBKDF2 iteration count (1 or more when active)
     * @param salt the 32-byte PBKDF2 salt
     * @param materialOffset where the slot's key material starts, in bytes
     * @param stripes the anti-forensic stripe count (4000 when active)
     */
    public record KeySlot(int index, boolean active, long iterations, byte[] salt, long materialOffset, long stripes) {
        /**
         * Copies the salt.
         *
         * @param index the slot number
         * @param active whether the slot is active
         * @param iterations the PBKDF2 iteration count
         * @param salt the PBKDF2 salt, copied
         * @param materialOffset the key material offset in bytes
         * @param stripes the stripe count
         */
        public KeySlot {
            salt = salt.clone();
        }

        /**
         * The PBKDF2 salt.
         *
         * @return a copy of the 32-byte salt
         */
        @Override
        public byte[] salt() {
            return salt.clone();
        }

        /**
         * The number of bytes of key material: key length times stripes.
         *
         * @param keyBytes the master key length of the header
         * @return {@code keyBytes * stripes}
         */
        public long materialLength(int keyBytes) {
            return keyBytes * stripes;
        }
    }

    /**
     * Copies the arrays and the slot list.
     *
     * @param cipherName the cipher
     * @param cipherMode the mode
     * @param hashSpec the hash
     * @param payloadOffset the payload offset in bytes
     * @param keyBytes the master key length
     * @param mkDigest the master key digest, copied
     * @param mkDigestSalt its salt, copied
     * @param mkDigestIterations its iteration count
     * @param uuid the UUID
     * @param keySlots the key slots, copied
     */
    public Luks1Header {
        mkDigest = mkDigest.clone();
        mkDigestSalt = mkDigestSalt.clone();
        keySlots = List.copyOf(keySlots);
    }

    /**
     * The master key digest.
     *
     * @return a copy of the 20-byte digest
     */
    @Override
    public byte[] mkDigest() {
        return mkDigest.clone();
    }

    /**
     * The master key digest's salt.
     *
     * @return a copy of the 32-byte salt
     */
    @Override
    public byte[] mkDigestSalt() {
        return mkDigestSalt.clone();
    }

    /**
     * The active key slots, in slot order.
     *
     * @return the slots whose state is enabled
     */
    public List<KeySlot> activeKeySlots() {
        return keySlots.stream().filter(KeySlot::active).toList();
    }

    /**
     * Parses and checks the LUKS1 header at the start of {@code header} (magic and version are the
     * caller's: this reads the fields after them). Checks, in this order: the cipher, mode and hash
     * names (printable, terminated, not empty), the key length (16, 24, 32, 48 or 64 bytes), the
     * master key digest iteration count (not 0), the payload offset (after the header, inside a file
     * of {@code fileSize} bytes), and every key slot (state enabled or disabled; an enabled one with
     * iterations, 4000 stripes and key material between the header and the payload).
     *
     * @param header at least {@link #LENGTH} bytes from offset 0 of the volume; its position and
     *     byte order are left alone
     * @param fileSize the size of the file the header came from
     * @return the header
     * @throws LuksFormatException (kind {@code MALFORMED}) naming the first rule broken and the
     *     offset of its field
     * @throws IndexOutOfBoundsException if {@code header} holds fewer than {@link #LENGTH} bytes
     */
    public static Luks1Header parse(ByteBuffer header, long fileSize) {
        if (header.limit() < LENGTH) {
            throw new IndexOutOfBoundsException("a LUKS1 header needs " + LENGTH + " bytes, got " + header.limit());
        }
        ByteBuffer be = header.duplicate().order(ByteOrder.BIG_ENDIAN);
        String cipher = LuksFields.requireName(be, OFF_CIPHER_NAME, "LUKS1 cipher name");
        String mode = LuksFields.requireName(be, OFF_CIPHER_MODE, "LUKS1 cipher mode");
        String hash = LuksFields.requireName(be, OFF_HASH_SPEC, "LUKS1 hash spec");
        long keyBytes = LuksFields.u32(be, OFF_KEY_BYTES);
        if (!KEY_BYTES.contains(keyBytes)) {
            throw LuksFormatException.malformed(OFF_KEY_BYTES,
                    "LUKS1 key length " + keyBytes + " bytes is not a known cipher key size");
        }
        long digestIterations = LuksFields.u32(be, OFF_MK_DIGEST_ITER);
        if (digestIterations == 0) {
            throw LuksFormatException.malformed(OFF_MK_DIGEST_ITER, "LUKS1 master key digest iteration count is 0");
        }
        long payloadSectors = LuksFields.u32(be, OFF_PAYLOAD_OFFSET);
        long payload = payloadSectors * SECTOR;
        if (payloadSectors < HEADER_SECTORS || payload > fileSize) {
            throw LuksFormatException.malformed(OFF_PAYLOAD_OFFSET, "LUKS1 payload offset " + payload
                    + " overlaps the header or lies beyond the image of " + fileSize + " bytes");
        }
        List<KeySlot> slots = new ArrayList<>(KEY_SLOTS);
        for (int slot = 0; slot < KEY_SLOTS; slot++) {
            slots.add(keySlot(be, slot, keyBytes, payload));
        }
        return new Luks1Header(cipher, mode, hash, payload, (int) keyBytes,
                LuksFields.bytes(be, OFF_MK_DIGEST, DIGEST_LENGTH), LuksFields.bytes(be, OFF_MK_DIGEST_SALT, SALT_LENGTH),
                digestIterations, LuksFields.text(be, OFF_UUID, UUID_LENGTH), slots);
    }

    private static KeySlot keySlot(ByteBuffer be, int slot, long keyBytes, long payload) {
        int base = OFF_KEY_SLOTS + slot * KEY_SLOT_LENGTH;
        long state = LuksFields.u32(be, base);
        long iterations = LuksFields.u32(be, base + SLOT_ITERATIONS);
        byte[] salt = LuksFields.bytes(be, base + SLOT_SALT, SALT_LENGTH);
        long materialSectors = LuksFields.u32(be, base + SLOT_MATERIAL_OFFSET);
        long stripes = LuksFields.u32(be, base + SLOT_STRIPES);
        if (state == KEY_DISABLED) {
            // An inactive slot's fields mean nothing: kept as read, never checked.
            return new KeySlot(slot, false, iterations, salt, materialSectors * SECTOR, stripes);
        }
        if (state != KEY_ENABLED) {
            throw LuksFormatException.malformed(base, "LUKS1 key slot " + slot + " has invalid state 0x"
                    + Long.toHexString(state));
        }
        if (iterations == 0) {
            throw LuksFormatException.malformed(base + SLOT_ITERATIONS, "LUKS1 key slot " + slot + " has 0 iterations");
        }
        if (stripes != STRIPES) {
            throw LuksFormatException.malformed(base + SLOT_STRIPES, "LUKS1 key slot " + slot + " has " + stripes
                    + " stripes");
        }
        long material = materialSectors * SECTOR;
        // LUKS1 spec: key material lies after the header and before the payload. Material
        // starting past the payload fails the second test too (payload - material < 0).
        if (materialSectors < HEADER_SECTORS || keyBytes * STRIPES > payload - material) {
            throw LuksFormatException.malformed(base + SLOT_MATERIAL_OFFSET, "LUKS1 key slot " + slot
                    + " material at " + material + " overlaps the header or the payload at " + payload);
        }
        return new KeySlot(slot, true, iterations, salt, material, STRIPES);
    }
}
