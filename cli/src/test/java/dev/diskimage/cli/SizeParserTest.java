package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizeParserTest {

    @Test
    void parsesBytesAndBinaryUnitsAsQemuImgDoes() {
        assertThat(SizeParser.parse("1073741824")).isEqualTo(1L << 30);
        assertThat(SizeParser.parse("512M")).isEqualTo(512L << 20);
        assertThat(SizeParser.parse("1G")).isEqualTo(1L << 30);
        assertThat(SizeParser.parse("1g")).isEqualTo(1L << 30);
        assertThat(SizeParser.parse("1TiB")).isEqualTo(1L << 40);
        assertThat(SizeParser.parse("1.5K")).isEqualTo(1536);
        assertThat(SizeParser.parse("4 KiB")).isEqualTo(4096);
        assertThat(SizeParser.parse("7E")).isEqualTo(7L << 60);
    }

    @Test
    void parsesSiUnitsWhenSpelledWithCapitalB() {
        assertThat(SizeParser.parse("10GB")).isEqualTo(10_000_000_000L);
        assertThat(SizeParser.parse("1kB")).isEqualTo(1000);
    }

    @Test
    void rejectsGarbageFractionsAndOverflow() {
        assertThatThrownBy(() -> SizeParser.parse("lots")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SizeParser.parse("1.5")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> SizeParser.parse("8E")).hasMessageContaining("larger than");
        assertThatThrownBy(() -> SizeParser.parse("1X")).hasMessageContaining("unknown size unit");
        assertThatThrownBy(() -> SizeParser.parse("-1G")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SizeParser.parse("99999999999999999999999")).isInstanceOf(IllegalArgumentException.class);
    }
}
