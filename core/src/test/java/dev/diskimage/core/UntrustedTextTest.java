package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UntrustedTextTest {

    @Test
    void escapesControlCharactersVisibly() {
        assertThat(UntrustedText.sanitize("a\u001b[31mb\nc\0d\u007fe\u009bf"))
                .isEqualTo("a\\x1b[31mb\\x0ac\\x00d\\x7fe\\x9bf");
    }

    @Test
    void escapesInvisibleFormattingThatCanSpoofWhatATerminalShows() {
        assertThat(UntrustedText.sanitize("evil\u202Egpj.exe\u200b\u2028"))
                .isEqualTo("evil\\u{202e}gpj.exe\\u{200b}\\u{2028}");
    }

    @Test
    void leavesOrdinaryTextAndNonAsciiNamesAlone() {
        String name = "C:\\images\\disque été 日本.vhd";

        assertThat(UntrustedText.sanitize(name)).isSameAs(name);
    }

    @Test
    void isIdempotentEvenForCappedText() {
        String once = UntrustedText.sanitize("x\u001by\n" + "z".repeat(5000));
        String short1 = UntrustedText.sanitize("x\u001by");

        assertThat(UntrustedText.sanitize(once)).isEqualTo(once);
        assertThat(UntrustedText.sanitize(short1)).isEqualTo(short1);
        assertThat(UntrustedText.sanitize(once, 4096)).isEqualTo(once);
    }

    @Test
    void capsTheLengthAndSaysHowMuchWasCut() {
        String capped = UntrustedText.sanitize("a".repeat(5000));

        assertThat(capped).hasSizeLessThanOrEqualTo(UntrustedText.MAX_NAME_CHARS)
                .startsWith("a".repeat(UntrustedText.MAX_NAME_CHARS - 40))
                .endsWith("...(" + (5000 - (UntrustedText.MAX_NAME_CHARS - 40)) + " more characters)");
    }

    @Test
    void neverCutsAnEscapeInHalf() {
        String capped = UntrustedText.sanitize("\u001b".repeat(1000), 100);

        assertThat(capped).hasSizeLessThanOrEqualTo(100).matches("(\\\\x1b)+\\.\\.\\.\\(\\d+ more characters\\)");
    }

    @Test
    void nullStaysNullAndTheCapMustBePositive() {
        assertThat(UntrustedText.sanitize(null)).isNull();
        assertThatThrownBy(() -> UntrustedText.sanitize("x", 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
