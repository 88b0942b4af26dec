package dev.diskimage.crypto;

import java.io.IOException;
import java.util.Optional;

/**
 * Opens one key slot: derive the slot key from the passphrase, decrypt the key material, merge
 * the anti-forensic stripes, and compare the candidate master key's PBKDF2 digest with the
 * header's. Every intermediate secret is zeroed before returning.
 */
final class SlotUnlocker {
    /** Room left on the heap besides Argon2's own memory, for everything else. */
    private static final long HEAP_SLACK = 64L << 20;

    private SlotUnlocker() {
    }

    /**
     * Why this slot cannot be tried here, or empty when it can.
     *
     * @param spareHeap the heap bytes this JVM can still give ({@link #spareHeap()})
     */
    static Optional<String> unsupported(LuksHeader.KeySlot slot, String digestHash, long spareHeap) {
        Optional<SectorCipher> cipher = SectorCipher.forName(slot.cipher());
        if (cipher.isEmpty()) {
            return Optional.of("uses cipher '" + slot.cipher() + "', which this project cannot decrypt");
        }
        LuksHeader.Kdf kdf = slot.kdf();
        if (kdf.type() == LuksHeader.KdfType.PBKDF2 && !Hashes.supported(kdf.hash())) {
            return Optional.of("uses PBKDF2 hash '" + kdf.hash() + "', which this project does not implement");
        }
        if (!Hashes.supported(slot.afHash())) {
            return Optional.of("uses anti-forensic hash '" + slot.afHash() + "', which this project does not implement");
        }
        if (!Hashes.supported(digestHash)) {
            return Optional.of("uses digest hash '" + digestHash + "', which this project does not implement");
        }
        if (kdf.type() != LuksHeader.KdfType.PBKDF2) {
            long needed = kdf.memoryKiB() * 1024 + HEAP_SLACK;
            if (needed > spareHeap) {
                return Optional.of("needs " + (kdf.memoryKiB() >> 10) + " MiB for Argon2, more than this JVM can spare ("
                        + (spareHeap >> 20) + " MiB)");
            }
        }
        return Optional.empty();
    }

    /** The heap this JVM can still give: what it may grow to, less what is in use now. */
    static long spareHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    }

    /** Whether the passphrase opens the slot; the caller has checked {@link #unsupported}. */
    static boolean opens(HeaderReader in, LuksHeader.KeySlot slot, byte[] passphrase, byte[] kdfSalt, int kdfKeyBytes,
            String digestHash, long digestIterations, byte[] digestSalt, byte[] digest) throws IOException {
        SectorCipher cipher = SectorCipher.forName(slot.cipher()).orElseThrow();
        if (!cipher.acceptsKeyLength(kdfKeyBytes)) {
            throw new UnsupportedLuksException(in.file(), "key slot " + slot.index() + " uses a " + kdfKeyBytes
                    + "-byte key for " + slot.cipher() + ", which that cipher does not take");
        }
        int keyBytes = slot.keySizeBits() / 8;
        int materialLength = Math.toIntExact(slot.areaLength());
        int sectors = (materialLength + SectorCipher.SECTOR - 1) / SectorCipher.SECTOR;
        byte[] material = new byte[sectors * SectorCipher.SECTOR];
        in.read(slot.areaOffset(), material.length, "key material of key slot " + slot.index()).get(material);
        byte[] key = derive(slot.kdf(), passphrase, kdfSalt, kdfKeyBytes);
        byte[] masterKey = null;
        try {
            cipher.decrypt(key, material);
            masterKey = AntiForensic.merge(material, keyBytes, slot.stripes(), slot.afHash());
            byte[] computed = KeyDerivation.pbkdf2(digestHash, masterKey, digestSalt, (int) digestIterations,
                    digest.length);
            return LuksHeader.matches(computed, digest);
        } finally {
            Secrets.wipe(key, material, masterKey);
        }
    }

    private static byte[] derive(LuksHeader.Kdf kdf, byte[] passphrase, byte[] salt, int length) {
        return switch (kdf.type()) {
            case PBKDF2 -> KeyDerivation.pbkdf2(kdf.hash(), passphrase, salt, (int) kdf.iterations(), length);
            case ARGON2I, ARGON2ID -> KeyDerivation.argon2(kdf.type() == LuksHeader.KdfType.ARGON2ID, passphrase, salt,
                    (int) kdf.time(), (int) kdf.memoryKiB(), kdf.parallelism(), length);
        };
    }
}
