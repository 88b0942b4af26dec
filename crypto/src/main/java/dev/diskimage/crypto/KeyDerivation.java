package dev.diskimage.crypto;

import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.bouncycastle.crypto.params.KeyParameter;

/** PBKDF2 (LUKS1, LUKS2 pbkdf2 slots and digests) and Argon2 (LUKS2 argon2i/argon2id slots). */
final class KeyDerivation {
    private KeyDerivation() {
    }

    /** PBKDF2-HMAC with the named hash; the caller has checked that the hash is supported. */
    static byte[] pbkdf2(String hash, byte[] password, byte[] salt, int iterations, int length) {
        PKCS5S2ParametersGenerator generator = new PKCS5S2ParametersGenerator(Hashes.digest(hash).orElseThrow());
        generator.init(password, salt, iterations);
        KeyParameter key = (KeyParameter) generator.generateDerivedParameters(length * 8);
        byte[] internal = key.getKey();
        byte[] result = Arrays.copyOf(internal, length);
        Arrays.fill(internal, (byte) 0);
        return result;
    }

    /** Argon2 version 1.3 (the one LUKS2 uses); {@code id} chooses argon2id over argon2i. */
    static byte[] argon2(boolean id, byte[] password, byte[] salt, int time, int memoryKiB, int parallelism,
            int length) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(id ? Argon2Parameters.ARGON2_id
                : Argon2Parameters.ARGON2_i)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withIterations(time)
                .withMemoryAsKB(memoryKiB)
                .withParallelism(parallelism)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] out = new byte[length];
        generator.generateBytes(password, out);
        parameters.clear();
        return out;
    }
}
