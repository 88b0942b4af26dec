package dev.diskimage.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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
        Optional<String> jdkMac = jdkHmac(hash);
        // The JDK's SHA implementations use the CPU's SHA instructions, several times faster than
        // Bouncy Castle's plain Java; the JDK refuses an empty HMAC key, which LUKS allows.
        if (jdkMac.isPresent() && password.length > 0) {
            return jdkPbkdf2(jdkMac.get(), password, salt, iterations, length);
        }
        PKCS5S2ParametersGenerator generator = new PKCS5S2ParametersGenerator(Hashes.digest(hash).orElseThrow());
        generator.init(password, salt, iterations);
        KeyParameter key = (KeyParameter) generator.generateDerivedParameters(length * 8);
        byte[] internal = key.getKey();
        byte[] result = Arrays.copyOf(internal, length);
        Secrets.wipe(internal);
        return result;
    }

    // Equivalent mutant: empty here for every hash gives the same keys through Bouncy Castle
    // (KeyDerivationTest checks both agree), only slower (on a busy machine it may time out).
    private static Optional<String> jdkHmac(String hash) {
        return Optional.ofNullable(switch (hash) {
            case "sha1" -> "HmacSHA1";
            case "sha224" -> "HmacSHA224";
            case "sha256" -> "HmacSHA256";
            case "sha384" -> "HmacSHA384";
            case "sha512" -> "HmacSHA512";
            default -> null;
        });
    }

    /** RFC 8018 PBKDF2 over a JDK HMAC. */
    private static byte[] jdkPbkdf2(String algorithm, byte[] password, byte[] salt, int iterations, int length) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(password, algorithm));
            int blockLength = mac.getMacLength();
            byte[] result = new byte[length];
            byte[] u = new byte[blockLength];
            byte[] t = new byte[blockLength];
            ByteBuffer blockNumber = ByteBuffer.allocate(Integer.BYTES);
            for (int block = 1, done = 0; done < length; block++) {
                mac.update(salt);
                mac.update(blockNumber.putInt(0, block).array());
                mac.doFinal(u, 0);
                System.arraycopy(u, 0, t, 0, blockLength);
                for (int i = 1; i < iterations; i++) {
                    mac.update(u);
                    mac.doFinal(u, 0);
                    for (int k = 0; k < blockLength; k++) {
                        t[k] ^= u[k];
                    }
                }
                int copied = Math.min(blockLength, length - done);
                System.arraycopy(t, 0, result, done, copied);
                done += copied;
            }
            Secrets.wipe(u, t);
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + algorithm, e);
        }
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
        // Equivalent mutant: clears the parameters' copy of the salt, which is no secret (the
        // header holds it in the clear); nothing reads the parameters again.
        parameters.clear();
        return out;
    }
}
