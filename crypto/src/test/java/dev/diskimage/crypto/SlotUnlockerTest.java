package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Which key slots are tried: every part this project does not implement is named, and Argon2 is
 * tried only when its memory, plus 64 MiB for everything else, fits the heap the JVM can still
 * give (a 4 GiB slot on a small JVM is refused by name instead of ending in an OutOfMemoryError).
 */
class SlotUnlockerTest {
    private static final LuksHeader.Kdf PBKDF2 = new LuksHeader.Kdf(LuksHeader.KdfType.PBKDF2, "sha256", 1000, 0, 0, 0);
    private static final long MIB = 1L << 20;

    private static LuksHeader.Kdf argon2id(long memoryKiB) {
        return new LuksHeader.Kdf(LuksHeader.KdfType.ARGON2ID, "", 0, 4, memoryKiB, 1);
    }

    private static LuksHeader.KeySlot slot(String cipher, LuksHeader.Kdf kdf, String afHash) {
        return new LuksHeader.KeySlot(3, cipher, 512, kdf, 32768, 256_000, 4000, afHash);
    }

    @Test
    void argon2IsTriedWhenItsMemoryAndTheSlackFitTheSpareHeapExactly() {
        LuksHeader.KeySlot oneGib = slot("aes-xts-plain64", argon2id(1 << 20), "sha256");
        long needed = 1024 * MIB + 64 * MIB;

        assertThat(SlotUnlocker.unsupported(oneGib, "sha256", needed)).isEmpty();
        assertThat(SlotUnlocker.unsupported(oneGib, "sha256", needed - 1))
                .hasValue("needs 1024 MiB for Argon2, more than this JVM can spare (1087 MiB)");
        assertThat(SlotUnlocker.unsupported(slot("aes-xts-plain64", argon2id(8), "sha256"), "sha256", 64 * MIB))
                .as("8 KiB of Argon2 still needs the slack").hasValue(
                        "needs 0 MiB for Argon2, more than this JVM can spare (64 MiB)");
    }

    @Test
    void pbkdf2NeedsNoHeapOfItsOwn() {
        assertThat(SlotUnlocker.unsupported(slot("aes-xts-plain64", PBKDF2, "sha256"), "sha256", 0)).isEmpty();
    }

    @Test
    void argon2SlotsHaveNoPbkdf2HashToCheck() {
        assertThat(SlotUnlocker.unsupported(slot("aes-cbc-essiv:sha256", argon2id(1024), "sha512"), "sha1",
                Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void eachPartThisProjectCannotDoIsNamed() {
        assertThat(SlotUnlocker.unsupported(slot("camellia-xts-plain64", PBKDF2, "sha256"), "sha256", Long.MAX_VALUE))
                .hasValue("uses cipher 'camellia-xts-plain64', which this project cannot decrypt");
        assertThat(SlotUnlocker.unsupported(slot("aes-xts-plain64", new LuksHeader.Kdf(LuksHeader.KdfType.PBKDF2,
                "whirlpool", 1000, 0, 0, 0), "sha256"), "sha256", Long.MAX_VALUE))
                .hasValue("uses PBKDF2 hash 'whirlpool', which this project does not implement");
        assertThat(SlotUnlocker.unsupported(slot("aes-xts-plain64", PBKDF2, "sm3"), "sha256", Long.MAX_VALUE))
                .hasValue("uses anti-forensic hash 'sm3', which this project does not implement");
        assertThat(SlotUnlocker.unsupported(slot("aes-xts-plain64", PBKDF2, "sha256"), "blake2b-512", Long.MAX_VALUE))
                .hasValue("uses digest hash 'blake2b-512', which this project does not implement");
    }

    @Test
    void theSpareHeapIsWhatTheJvmMayStillGrowToPlusWhatIsFree() {
        Runtime runtime = Runtime.getRuntime();
        long spare = SlotUnlocker.spareHeap();
        assertThat(spare).isPositive().isLessThanOrEqualTo(runtime.maxMemory())
                .isGreaterThanOrEqualTo(runtime.maxMemory() - runtime.totalMemory());
    }
}
