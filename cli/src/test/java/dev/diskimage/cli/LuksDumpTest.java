package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.core.testing.RealQemuImg;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuksDumpTest {
    @TempDir
    static Path dir;
    private static Path luks1;

    @BeforeAll
    static void createVolume() throws Exception {
        luks1 = dir.resolve("disk.luks");
        Path key = Files.writeString(dir.resolve("key"), "pw");
        RealQemuImg.run("create", "-q", "-f", "luks", "--object", "secret,id=s0,file=" + key, "-o",
                "key-secret=s0,iter-time=10", luks1.toString(), "1M");
    }

    @Test
    void printsTheHeaderFieldsAndActiveSlots() {
        ImageCheckTest.Run run = DiskimageTest.diskimage("luks-dump", luks1.toString());

        assertThat(run.exit()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(run.out()).contains("Version:        1", "Cipher:         aes-xts-plain64", "Key size:       512 bits",
                "Hash:           sha256", "Payload offset: ", "  0: pbkdf2 sha256, ");
        assertThat(run.out().lines().filter(line -> line.matches("  \\d+: .*"))).hasSize(1);
    }

    @Test
    void jsonIsOneLineWithSnakeCaseKeysAndTypedValues() throws Exception {
        ImageCheckTest.Run run = DiskimageTest.diskimage("luks-dump", "--json", luks1.toString());

        assertThat(run.exit()).isZero();
        assertThat(run.out().lines()).hasSize(1);
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("version").asInt()).isEqualTo(1);
        assertThat(json.get("cipher").asText()).isEqualTo("aes-xts-plain64");
        assertThat(json.get("key_size_bits").isInt()).isTrue();
        assertThat(json.get("payload_offset").isIntegralNumber()).isTrue();
        JsonNode slot = json.get("key_slots").get(0);
        assertThat(slot.get("kdf").get("type").asText()).isEqualTo("pbkdf2");
        assertThat(slot.get("kdf").get("iterations").isIntegralNumber()).isTrue();
        assertThat(slot.get("stripes").asInt()).isEqualTo(4000);
        assertThat(json.fieldNames()).toIterable().allMatch(key -> key.matches("[a-z_]+"));
    }

    @Test
    void neverPrintsKeyMaterial() throws Exception {
        byte[] header = Files.readAllBytes(luks1);
        String mkDigest = HexFormat.of().formatHex(header, 112, 132);
        String slotSalt = HexFormat.of().formatHex(header, 216, 248);
        for (String[] args : List.of(new String[] {"luks-dump", luks1.toString()},
                new String[] {"luks-dump", "--json", luks1.toString()})) {
            String out = DiskimageTest.diskimage(args).out().replace(" ", "").toLowerCase();
            assertThat(out).doesNotContain(mkDigest).doesNotContain(slotSalt).doesNotContain(slotSalt.substring(0, 16))
                    .doesNotContain("salt").doesNotContain("digest");
        }
    }

    @Test
    void aFileThatIsNotLuksIsRefusedWithOneLineAndExitOne() throws Exception {
        Path raw = Files.write(dir.resolve("disk.raw"), new byte[4096]);
        ImageCheckTest.Run run = DiskimageTest.diskimage("luks-dump", raw.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).singleElement().asString()
                .startsWith("diskimage luks-dump: " + raw).contains("no LUKS magic").doesNotContain("Exception");
    }

    @Test
    void aMalformedHeaderNamesTheOffset() throws Exception {
        byte[] header = Files.readAllBytes(luks1);
        ByteBuffer.wrap(header).putInt(108, 4096);
        Path broken = Files.write(dir.resolve("broken.luks"), header);
        ImageCheckTest.Run run = DiskimageTest.diskimage("luks-dump", "--json", broken.toString());

        assertThat(run.exit()).isEqualTo(1);
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("file").asText()).isEqualTo(broken.toString());
        assertThat(json.get("error").asText()).contains("key length 4096", "(at offset 108)");
    }

    @Test
    void aMissingFileOrNoFileIsExitTwo() {
        ImageCheckTest.Run missing = DiskimageTest.diskimage("luks-dump", dir.resolve("missing.luks").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().lines()).singleElement().asString().contains("missing.luks", "cannot be read");

        ImageCheckTest.Run usage = DiskimageTest.diskimage("luks-dump");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("diskimage luks-dump", "FILE");
    }

    @Test
    void isListedInTheHelp() {
        assertThat(DiskimageTest.diskimage("--help").out()).contains("luks-dump");
        assertThat(DiskimageTest.diskimage("luks-dump", "--help").out()).contains("Exit codes", "--json");
    }
}
