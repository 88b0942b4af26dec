package dev.diskimage.crypto;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.luks.Luks1Header;
import dev.diskimage.core.luks.Luks2BinaryHeader;
import dev.diskimage.core.luks.Luks2Metadata;
import dev.diskimage.core.luks.LuksFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a LUKS1 or LUKS2 header says (version, cipher, key size, hash, UUID, payload offset, active
 * key slots with their KDF) and whether a passphrase opens one of its key slots, in pure Java:
 * a conversion that will run for an hour first proves, in about one KDF's time, that the
 * passphrase it was given is the right one.
 *
 * <pre>{@code
 * LuksHeader header = LuksHeader.read(volume);
 * header.cipher();                         // "aes-xts-plain64"
 * if (!header.unlocksWithFile(passphraseFile)) {
 *     throw new IllegalArgumentException("wrong passphrase for " + volume);
 * }
 * }</pre>
 *
 * <p><b>Bounded.</b> {@link #read} reads the binary header, the LUKS2 second header copy and JSON
 * area (at most 4 MiB, the largest LUKS2 header), nothing else; structures are parsed by
 * {@code dev.diskimage.core.luks}, the parser the validator uses. Every number that would become
 * work or memory is capped: PBKDF2 iterations at {@value #MAX_PBKDF2_ITERATIONS}, Argon2 memory at
 * {@value #MAX_ARGON2_MEMORY_KIB} KiB (4 GiB, cryptsetup's own maximum), Argon2 time cost at
 * {@value #MAX_ARGON2_TIME} and parallelism at {@value #MAX_ARGON2_PARALLELISM}; key sizes must be
 * those of real ciphers (16 to 64 bytes) and stripes 4000. A header past a cap is refused with a
 * {@link LuksHeaderException}, never tried.
 *
 * <p><b>Unlocking</b> ({@link #unlocks(byte[])}) derives each active slot's key (PBKDF2 or Argon2i/
 * Argon2id, Bouncy Castle), decrypts its key material ({@code aes-xts-plain64},
 * {@code aes-cbc-essiv:<hash>}, {@code aes-cbc-plain64}, {@code aes-ecb}; Serpent and Twofish the
 * same way), merges the anti-forensic stripes and checks the master key digest (LUKS1
 * {@code mk-digest}, LUKS2 {@code digests}). Hashes: sha1, sha224, sha256, sha384, sha512,
 * ripemd160. A slot that uses anything else is skipped; when no slot opens and one was skipped,
 * {@link UnsupportedLuksException} says which and why. A wrong passphrase costs one KDF run per
 * active slot, as with cryptsetup.
 *
 * <p><b>Secrets.</b> Passphrases are taken as {@code byte[]}, {@code char[]} or a file; they never
 * appear in a log line, an exception or {@link #toString()}. Derived keys, decrypted key material
 * and candidate master keys are zeroed after use (best effort: Bouncy Castle's engines keep
 * their own expanded key schedules until collected). The caller's passphrase array is not
 * changed.
 *
 * <p>Immutable and thread-safe; {@code unlocks} re-opens the file to read key material.
 */
public final class LuksHeader {
    /** Most PBKDF2 iterations accepted for a key slot or digest (about a minute of work). */
    public static final long MAX_PBKDF2_ITERATIONS = 50_000_000L;
    /** Most Argon2 memory accepted, in KiB: 4 GiB, the most cryptsetup itself allows. */
    public static final long MAX_ARGON2_MEMORY_KIB = 4L << 20;
    /** Most Argon2 passes (time cost) accepted. */
    public static final long MAX_ARGON2_TIME = 1_000L;
    /** Most Argon2 lanes (parallelism) accepted. */
    public static final long MAX_ARGON2_PARALLELISM = 16L;
    /** Longest passphrase file read, in bytes (cryptsetup's default key file limit, 8 MiB). */
    public static final long MAX_PASSPHRASE_FILE = 8L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(LuksHeader.class);
    private static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
    private static final int OFF_VERSION = 6;
    private static final int STRIPES = 4000;
    private static final int MAX_KEY_BYTES = 64;
    private static final int MAX_SALT_BYTES = 256;
    private static final int MAX_LUKS2_KEYSLOT = 31; // LUKS2 spec: at most 32 key slots

    /** How a key slot turns a passphrase into its key. */
    public enum KdfType {
        /** PBKDF2-HMAC with {@link Kdf#hash()} and {@link Kdf#iterations()} (LUKS1, LUKS2 pbkdf2). */
        PBKDF2,
        /** Argon2i with {@link Kdf#time()}, {@link Kdf#memoryKiB()} and {@link Kdf#parallelism()}. */
        ARGON2I,
        /** Argon2id with {@link Kdf#time()}, {@link Kdf#memoryKiB()} and {@link Kdf#parallelism()}. */
        ARGON2ID
    }

    /**
     * A key slot's key derivation function and its parameters (the salt is not shown: it is not
     * secret, but nothing outside this class needs it).
     *
     * @param type the function
     * @param hash the PBKDF2 hash, empty for Argon2
     * @param iterations the PBKDF2 iteration count, 0 for Argon2
     * @param time the Argon2 time cost, 0 for PBKDF2
     * @param memoryKiB the Argon2 memory cost in KiB, 0 for PBKDF2
     * @param parallelism the Argon2 lanes, 0 for PBKDF2
     */
    public record Kdf(KdfType type, String hash, long iterations, long time, long memoryKiB, int parallelism) {
    }

    /**
     * An active key slot.
     *
     * @param index the slot number (LUKS1 0..7, LUKS2 the slot id 0..31)
     * @param cipher the cipher of its key material, e.g. {@code aes-xts-plain64}
     * @param keySizeBits the size of the key it stores, in bits
     * @param kdf its key derivation function
     * @param areaOffset where its encrypted key material starts, in bytes
     * @param areaLength the bytes of key material: key size times stripes
     * @param stripes the anti-forensic stripe count (4000)
     * @param afHash the anti-forensic diffusion hash
     */
    public record KeySlot(int index, String cipher, int keySizeBits, Kdf kdf, long areaOffset, long areaLength,
            int stripes, String afHash) {
    }

    /** What unlocking one slot needs beyond the public view: salts and the digest. */
    private record SlotSecretsPlan(KeySlot slot, byte[] kdfSalt, int kdfKeyBytes, String digestHash,
            long digestIterations, byte[] digestSalt, byte[] digest) {
    }

    private final Path file;
    private final int version;
    private final String cipher;
    private final int keySizeBits;
    private final String hash;
    private final String uuid;
    private final long payloadOffset;
    private final List<KeySlot> keySlots;
    private final List<SlotSecretsPlan> plans;

    private LuksHeader(Path file, int version, String cipher, int keySizeBits, String hash, String uuid,
            long payloadOffset, List<SlotSecretsPlan> plans) {
        this.file = file;
        this.version = version;
        this.cipher = cipher;
        this.keySizeBits = keySizeBits;
        this.hash = hash;
        this.uuid = uuid;
        this.payloadOffset = payloadOffset;
        this.plans = List.copyOf(plans);
        this.keySlots = plans.stream().map(SlotSecretsPlan::slot).toList();
    }

    /**
     * Reads and checks the LUKS header of {@code file}.
     *
     * @param file a LUKS1 or LUKS2 volume (a file or block device)
     * @return the header
     * @throws LuksHeaderException when the file is not LUKS, ends early, breaks the specification
     *     or asks for more than the documented caps; or cannot be read (the cause is the
     *     {@link IOException})
     * @throws NullPointerException if {@code file} is null
     */
    public static LuksHeader read(Path file) {
        Objects.requireNonNull(file, "file");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, channel);
        } catch (IOException e) {
            throw new LuksHeaderException(file, -1, "cannot be read: " + dev.diskimage.core.IoErrorText.describe(e), e);
        }
    }

    /** Reads the header through {@code channel} (tests pass one that returns a byte per read). */
    static LuksHeader read(Path file, SeekableByteChannel channel) throws IOException {
        HeaderReader in = new HeaderReader(file, channel);
        ByteBuffer start = in.read(0, OFF_VERSION + 2, "LUKS magic and version");
        for (int i = 0; i < MAGIC.length; i++) {
            if (start.get(i) != MAGIC[i]) {
                throw new LuksHeaderException(file, 0, "is not a LUKS volume (no LUKS magic)");
            }
        }
        int version = Short.toUnsignedInt(start.getShort(OFF_VERSION));
        try {
            return switch (version) {
                case 1 -> readLuks1(file, in);
                case 2 -> readLuks2(file, in);
                default -> throw new LuksHeaderException(file, OFF_VERSION, "LUKS version " + version
                        + " is not supported (only 1 and 2)");
            };
        } catch (LuksFormatException e) {
            throw new LuksHeaderException(file, e.offset(), e.reason());
        }
    }

    private static LuksHeader readLuks1(Path file, HeaderReader in) throws IOException {
        Luks1Header header = Luks1Header.parse(in.read(0, Luks1Header.LENGTH, "LUKS1 header"), in.size());
        requirePbkdf2Iterations(file, header.mkDigestIterations(), "master key digest");
        List<SlotSecretsPlan> plans = new ArrayList<>();
        String slotCipher = header.cipherName() + "-" + header.cipherMode();
        for (Luks1Header.KeySlot slot : header.activeKeySlots()) {
            requirePbkdf2Iterations(file, slot.iterations(), "key slot " + slot.index());
            KeySlot view = new KeySlot(slot.index(), slotCipher, header.keyBytes() * 8,
                    new Kdf(KdfType.PBKDF2, header.hashSpec(), slot.iterations(), 0, 0, 0), slot.materialOffset(),
                    slot.materialLength(header.keyBytes()), STRIPES, header.hashSpec());
            plans.add(new SlotSecretsPlan(view, slot.salt(), header.keyBytes(), header.hashSpec(),
                    header.mkDigestIterations(), header.mkDigestSalt(), header.mkDigest()));
        }
        return new LuksHeader(file, 1, slotCipher, header.keyBytes() * 8, header.hashSpec(), header.uuid(),
                header.payloadOffset(), plans);
    }

    private static LuksHeader readLuks2(Path file, HeaderReader in) throws IOException {
        Luks2BinaryHeader binary = Luks2BinaryHeader.parsePrimary(
                in.read(0, Luks2BinaryHeader.BINARY_LENGTH, "LUKS2 binary header"));
        long hdrSize = binary.hdrSize();
        if (2 * hdrSize > in.size()) {
            throw new LuksHeaderException(file, 8, "LUKS2 headers of 2 x " + hdrSize + " bytes do not fit the file of "
                    + in.size() + " bytes");
        }
        if (!binary.matchesSecondary(in.read(hdrSize, Luks2BinaryHeader.SECONDARY_PREFIX, "LUKS2 secondary header"))) {
            throw new LuksHeaderException(file, hdrSize, "LUKS2 secondary header at " + hdrSize
                    + " is missing or disagrees");
        }
        if (!binary.checksumSupported()) {
            throw new LuksHeaderException(file, 72, "LUKS2 checksum algorithm '" + binary.checksumAlgorithm()
                    + "' is not supported");
        }
        // hdrSize is at most 4 MiB (checked by the parser) and inside the file.
        ByteBuffer whole = in.read(0, (int) hdrSize, "LUKS2 header");
        binary.verifyChecksum(whole);
        byte[] area = new byte[(int) hdrSize - Luks2BinaryHeader.BINARY_LENGTH];
        whole.get(Luks2BinaryHeader.BINARY_LENGTH, area);
        int length = 0;
        while (length < area.length && area[length] != 0) {
            length++;
        }
        if (length == area.length) {
            throw new LuksHeaderException(file, Luks2BinaryHeader.BINARY_LENGTH,
                    "LUKS2 JSON metadata is not terminated within " + area.length + " bytes");
        }
        Luks2Metadata metadata = Luks2Metadata.parse(area, length, hdrSize, in.size());
        return fromLuks2(file, binary, metadata, in.size());
    }

    private static LuksHeader fromLuks2(Path file, Luks2BinaryHeader binary, Luks2Metadata metadata, long fileSize) {
        List<SlotSecretsPlan> plans = new ArrayList<>();
        long dataOffset = metadata.dataSegment().offset();
        for (Luks2Metadata.Keyslot keyslot : metadata.keyslots()) {
            if (!keyslot.type().equals("luks2")) {
                LOG.debug("{}: skipping LUKS2 key slot {} of type '{}'", file, keyslot.id(), keyslot.type());
                continue;
            }
            plans.add(Luks2Slots.plan(file, keyslot, metadata.digests(), 2 * binary.hdrSize(),
                    Math.min(dataOffset, fileSize)));
        }
        plans.sort(java.util.Comparator.comparingInt(plan -> plan.slot().index()));
        int keyBits = plans.isEmpty() ? 0 : plans.get(0).slot().keySizeBits();
        String digestHash = metadata.digests().stream()
                .filter(d -> d.segments().contains(Long.toString(metadata.dataSegment().id())))
                .map(Luks2Metadata.Digest::hash).findFirst().orElse("");
        return new LuksHeader(file, 2, metadata.dataSegment().encryption(), keyBits, digestHash, binary.uuid(),
                dataOffset, plans);
    }

    /** LUKS2 key slot checks, kept apart from the LUKS1 path they share nothing with. */
    private static final class Luks2Slots {
        private Luks2Slots() {
        }

        static SlotSecretsPlan plan(Path file, Luks2Metadata.Keyslot keyslot, List<Luks2Metadata.Digest> digests,
                long areaStart, long areaEnd) {
            String what = "LUKS2 key slot " + keyslot.id();
            int index = slotIndex(file, keyslot.id());
            int keyBytes = keyBytes(file, keyslot.keySize(), what + " key_size");
            Luks2Metadata.Area area = keyslot.area().orElseThrow(() -> bad(file, what + " has no area"));
            Luks2Metadata.AntiForensic af = keyslot.af().orElseThrow(() -> bad(file, what + " has no af"));
            Luks2Metadata.Kdf kdf = keyslot.kdf().orElseThrow(() -> bad(file, what + " has no kdf"));
            if (!area.type().equals("raw")) {
                throw bad(file, what + " area type '" + area.type() + "' is not raw");
            }
            int areaKeyBytes = keyBytes(file, area.keySize(), what + " area key_size");
            if (!af.type().equals("luks1") || af.stripes().orElse(-1) != STRIPES) {
                throw bad(file, what + " anti-forensic splitter is not luks1 with 4000 stripes");
            }
            long offset = area.offset().orElseThrow(() -> bad(file, what + " area offset is missing or not a number"));
            long size = area.size().orElseThrow(() -> bad(file, what + " area size is missing or not a number"));
            long material = (long) keyBytes * STRIPES;
            // Key material is decrypted in whole 512-byte sectors: the area must hold the last partial one.
            long sectors = (material + SectorCipher.SECTOR - 1) / SectorCipher.SECTOR * SectorCipher.SECTOR;
            // An offset past the data is refused by the last test: size >= sectors > 0 > areaEnd - offset.
            if (offset < areaStart || size < sectors || size > areaEnd - offset) {
                throw bad(file, what + " area at " + offset + " with " + size + " bytes does not hold " + sectors
                        + " bytes of key material between the headers (" + areaStart + ") and the data (" + areaEnd
                        + ")");
            }
            Kdf view = kdf(file, kdf, what);
            byte[] salt = base64(file, kdf.salt(), what + " kdf salt");
            Luks2Metadata.Digest digest = digests.stream().filter(d -> d.keyslots().contains(keyslot.id())).findFirst()
                    .orElseThrow(() -> bad(file, what + " has no digest"));
            if (!digest.type().equals("pbkdf2")) {
                throw bad(file, "LUKS2 digest " + digest.id() + " type '" + digest.type() + "' is not pbkdf2");
            }
            long iterations = digest.iterations().orElseThrow(() -> bad(file, "LUKS2 digest " + digest.id()
                    + " has no iteration count"));
            requirePbkdf2Iterations(file, iterations, "LUKS2 digest " + digest.id());
            byte[] digestBytes = base64(file, digest.digest(), "LUKS2 digest " + digest.id() + " digest");
            if (digestBytes.length > MAX_KEY_BYTES) {
                throw bad(file, "LUKS2 digest " + digest.id() + " is " + digestBytes.length + " bytes long");
            }
            KeySlot slot = new KeySlot(index, area.encryption(), keyBytes * 8, view, offset, material, STRIPES, af.hash());
            return new SlotSecretsPlan(slot, salt, areaKeyBytes, digest.hash(), iterations,
                    base64(file, digest.salt(), "LUKS2 digest " + digest.id() + " salt"), digestBytes);
        }

        private static int slotIndex(Path file, String id) {
            if (!id.matches("[0-9]{1,2}") || Integer.parseInt(id) > MAX_LUKS2_KEYSLOT) {
                throw bad(file, "LUKS2 key slot id '" + id + "' is not a number from 0 to " + MAX_LUKS2_KEYSLOT);
            }
            return Integer.parseInt(id);
        }

        private static Kdf kdf(Path file, Luks2Metadata.Kdf kdf, String what) {
            switch (kdf.type()) {
                case "pbkdf2" -> {
                    long iterations = kdf.iterations().orElseThrow(() -> bad(file, what + " kdf has no iterations"));
                    requirePbkdf2Iterations(file, iterations, what);
                    return new Kdf(KdfType.PBKDF2, kdf.hash(), iterations, 0, 0, 0);
                }
                case "argon2i", "argon2id" -> {
                    long time = kdf.time().orElse(0);
                    long memory = kdf.memory().orElse(0);
                    long cpus = kdf.cpus().orElse(0);
                    if (time < 1 || time > MAX_ARGON2_TIME) {
                        throw bad(file, what + " Argon2 time cost " + time + " is outside 1.." + MAX_ARGON2_TIME);
                    }
                    // Argon2: at least 8 KiB per lane.
                    if (memory < 8 || memory > MAX_ARGON2_MEMORY_KIB) {
                        throw bad(file, what + " Argon2 memory " + memory + " KiB is outside 8.." + MAX_ARGON2_MEMORY_KIB);
                    }
                    if (cpus < 1 || cpus > MAX_ARGON2_PARALLELISM || memory < 8 * cpus) {
                        throw bad(file, what + " Argon2 parallelism " + cpus + " is outside 1.." + MAX_ARGON2_PARALLELISM
                                + " or above memory / 8 KiB");
                    }
                    return new Kdf(kdf.type().equals("argon2i") ? KdfType.ARGON2I : KdfType.ARGON2ID, "", 0, time,
                            memory, (int) cpus);
                }
                default -> throw bad(file, what + " kdf type '" + kdf.type() + "' is not pbkdf2, argon2i or argon2id");
            }
        }

        private static int keyBytes(Path file, java.util.OptionalLong value, String what) {
            long bytes = value.orElse(-1);
            if (bytes < 1 || bytes > MAX_KEY_BYTES) {
                throw bad(file, what + " " + bytes + " is not a key size from 1 to " + MAX_KEY_BYTES + " bytes");
            }
            return (int) bytes;
        }

        private static byte[] base64(Path file, String text, String what) {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw bad(file, what + " is not base64");
            }
            if (bytes.length == 0 || bytes.length > MAX_SALT_BYTES) {
                throw bad(file, what + " is " + bytes.length + " bytes long");
            }
            return bytes;
        }

        private static LuksHeaderException bad(Path file, String reason) {
            return new LuksHeaderException(file, Luks2BinaryHeader.BINARY_LENGTH, reason);
        }
    }

    private static void requirePbkdf2Iterations(Path file, long iterations, String what) {
        if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
            throw new LuksHeaderException(file, -1, what + " asks for " + iterations
                    + " PBKDF2 iterations, outside 1.." + MAX_PBKDF2_ITERATIONS);
        }
    }

    /**
     * Whether {@code passphrase} opens one of the active key slots.
     *
     * @param passphrase the passphrase bytes, exactly as cryptsetup's {@code --key-file} or qemu's
     *     secret would pass them (no trailing newline is removed); not changed
     * @return true when a slot opens and its master key matches the header's digest
     * @throws UnsupportedLuksException when no slot opened and one could not be tried
     * @throws LuksHeaderException when key material cannot be read
     * @throws NullPointerException if {@code passphrase} is null
     */
    public boolean unlocks(byte[] passphrase) {
        return unlockingSlot(passphrase).isPresent();
    }

    /**
     * Whether {@code passphrase}, encoded as UTF-8 (as cryptsetup reads a typed passphrase), opens
     * one of the active key slots.
     *
     * @param passphrase the passphrase; not changed
     * @return true when a slot opens
     * @throws UnsupportedLuksException when no slot opened and one could not be tried
     * @throws LuksHeaderException when key material cannot be read
     * @throws NullPointerException if {@code passphrase} is null
     */
    public boolean unlocks(char[] passphrase) {
        byte[] bytes = Passphrase.utf8(passphrase);
        try {
            return unlocks(bytes);
        } finally {
            Secrets.wipe(bytes);
        }
    }

    /**
     * Whether the contents of {@code passphraseFile} (all its bytes, as qemu's {@code secret}
     * object with {@code file=} and cryptsetup's {@code --key-file} read them) open a key slot.
     *
     * @param passphraseFile a file of at most {@value #MAX_PASSPHRASE_FILE} bytes
     * @return true when a slot opens
     * @throws UnsupportedLuksException when no slot opened and one could not be tried
     * @throws LuksHeaderException when key material cannot be read
     * @throws ImageIoException naming the passphrase file when it cannot be read, is empty or is
     *     too large
     * @throws NullPointerException if {@code passphraseFile} is null
     */
    public boolean unlocksWithFile(Path passphraseFile) {
        return unlocks(Passphrase.fromFile(passphraseFile));
    }

    /**
     * Whether {@code passphrase} opens a key slot: what an encrypted conversion asks before
     * qemu-img starts.
     *
     * @param passphrase the passphrase, read from its file now if it comes from one
     * @return true when a slot opens
     * @throws UnsupportedLuksException when no slot opened and one could not be tried
     * @throws LuksHeaderException when key material cannot be read
     * @throws ImageIoException naming the passphrase file when it cannot be read, is empty or is
     *     too large
     * @throws NullPointerException if {@code passphrase} is null
     */
    public boolean unlocks(Passphrase passphrase) {
        byte[] bytes = passphrase.bytes();
        try {
            return unlocks(bytes);
        } finally {
            Secrets.wipe(bytes);
        }
    }

    /**
     * The number of the key slot {@code passphrase} opens, if any.
     *
     * @param passphrase the passphrase bytes; not changed
     * @return the slot index, or empty when no slot opens
     * @throws UnsupportedLuksException when no slot opened and one could not be tried
     * @throws LuksHeaderException when key material cannot be read
     * @throws NullPointerException if {@code passphrase} is null
     */
    public OptionalInt unlockingSlot(byte[] passphrase) {
        Objects.requireNonNull(passphrase, "passphrase");
        List<String> skipped = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            HeaderReader in = new HeaderReader(file, channel);
            for (SlotSecretsPlan plan : plans) {
                Optional<String> unsupported = SlotUnlocker.unsupported(plan.slot(), plan.digestHash(),
                        SlotUnlocker.spareHeap());
                if (unsupported.isPresent()) {
                    LOG.debug("{}: key slot {} skipped: {}", file, plan.slot().index(), unsupported.get());
                    skipped.add("key slot " + plan.slot().index() + " " + unsupported.get());
                    continue;
                }
                LOG.debug("{}: trying key slot {} ({})", file, plan.slot().index(), plan.slot().kdf().type());
                if (SlotUnlocker.opens(in, plan.slot(), passphrase, plan.kdfSalt(), plan.kdfKeyBytes(),
                        plan.digestHash(), plan.digestIterations(), plan.digestSalt(), plan.digest())) {
                    return OptionalInt.of(plan.slot().index());
                }
            }
        } catch (IOException e) {
            throw new LuksHeaderException(file, -1, "key material cannot be read: "
                    + dev.diskimage.core.IoErrorText.describe(e), e);
        }
        if (!skipped.isEmpty()) {
            throw new UnsupportedLuksException(file, "no key slot opened, and " + String.join("; ", skipped));
        }
        return OptionalInt.empty();
    }

    /** Constant-time comparison of a computed digest (zeroed afterwards) with the stored one. */
    static boolean matches(byte[] computed, byte[] stored) {
        try {
            return MessageDigest.isEqual(computed, stored);
        } finally {
            Secrets.wipe(computed);
        }
    }

    /**
     * The file this header was read from.
     *
     * @return the path given to {@link #read}
     */
    public Path file() {
        return file;
    }

    /**
     * The LUKS version.
     *
     * @return 1 or 2
     */
    public int version() {
        return version;
    }

    /**
     * The data cipher in dm-crypt notation (LUKS1: cipher-name and cipher-mode; LUKS2: the data
     * segment's encryption).
     *
     * @return e.g. {@code aes-xts-plain64}
     */
    public String cipher() {
        return cipher;
    }

    /**
     * The volume key size in bits, both XTS halves counted ({@code aes-xts-plain64} with AES-256
     * is 512); LUKS2 takes it from the first key slot.
     *
     * @return the key size, or 0 for a LUKS2 header without key slots
     */
    public int keySizeBits() {
        return keySizeBits;
    }

    /**
     * The hash of the volume key digest (LUKS1 hash-spec; LUKS2 the data segment's digest hash).
     *
     * @return e.g. {@code sha256}; empty when a LUKS2 header has no digest for its data segment
     */
    public String hash() {
        return hash;
    }

    /**
     * The volume UUID as the header stores it (sanitized).
     *
     * @return the UUID text
     */
    public String uuid() {
        return uuid;
    }

    /**
     * Where the encrypted data starts.
     *
     * @return the payload offset in bytes
     */
    public long payloadOffset() {
        return payloadOffset;
    }

    /**
     * The active key slots, by slot number (LUKS2: passphrase slots of type {@code luks2}).
     *
     * @return an unmodifiable list
     */
    public List<KeySlot> activeKeySlots() {
        return keySlots;
    }

    /**
     * A summary without secrets: file, version, cipher, key size and active slot numbers.
     *
     * @return the summary
     */
    @Override
    public String toString() {
        return "LuksHeader[file=" + file + ", version=" + version + ", cipher=" + cipher + ", keySizeBits="
                + keySizeBits + ", hash=" + hash + ", uuid=" + uuid + ", payloadOffset=" + payloadOffset
                + ", activeKeySlots=" + keySlots.stream().map(KeySlot::index).toList() + "]";
    }
}
