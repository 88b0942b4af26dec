package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.testing.NginxServer;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgInfo;
import dev.diskimage.core.testing.RealQemuImg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * diskimage distro list|get against a Fedora-shaped mirror served by a real nginx; the
 * command passes the real validator as the gate.
 */
class DistroCommandTest {
    private static final String IMAGES = "releases/41/Cloud/x86_64/images/";

    @TempDir
    static Path mirror;

    private static NginxServer nginx;

    @TempDir
    Path work;

    @BeforeAll
    static void serve() throws IOException {
        Files.createDirectories(mirror.resolve(IMAGES));
        RealQemuImg.run("create", "-q", "-f", "qcow2",
                mirror.resolve(IMAGES + "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2").toString(), "1M");
        // A file named like a qcow2 image that the validator refuses: a qcow2 with a backing file.
        Files.createDirectories(mirror.resolve("releases/41/Cloud/aarch64/images/"));
        Path outside = mirror.resolve("outside.raw");
        Files.write(outside, new byte[65536]);
        RealQemuImg.run("create", "-q", "-f", "qcow2", "-b", outside.toString(), "-F", "raw",
                mirror.resolve("releases/41/Cloud/aarch64/images/Fedora-Cloud-Base-Generic-41-1.4.aarch64.qcow2").toString());
        nginx = NginxServer.serve(mirror);
    }

    @AfterAll
    static void stop() {
        if (nginx != null) {
            nginx.close();
        }
    }

    private static ImageCheckTest.Run diskimage(String... args) {
        return DiskimageTest.diskimage(args);
    }

    private String[] get(String... extra) {
        List<String> args = new ArrayList<>(List.of("distro", "get", "fedora", "--mirror", nginx.baseUrl().toString(),
                "--cache-dir", work.resolve("cache").toString(), "--snapshot-dir", work.resolve("snaps").toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static void oneLineError(ImageCheckTest.Run run, int exit, String mentions) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.err().strip().split("\n")[0]).contains(mentions).doesNotContain("Exception", "dev.diskimage");
        assertThat(run.err()).doesNotContain("\tat ");
    }

    @Test
    void listShowsEveryDistroWithItsBaseUrl() throws IOException {
        ImageCheckTest.Run text = diskimage("distro", "list");
        assertThat(text.exit()).isZero();
        assertThat(text.out()).contains("Fedora", "FedoraSecondary", "CentOS", "Ubuntu", "Debian", "openSUSE",
                "CirrOS", "FreeBSD", "https://dl.fedoraproject.org/pub/fedora/linux/");

        ImageCheckTest.Run json = diskimage("distro", "list", "--json");
        assertThat(json.exit()).isZero();
        List<String> lines = json.out().lines().toList();
        assertThat(lines).hasSize(8);
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        List<String> keys = new ArrayList<>();
        first.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("name", "base_url", "arches");
        assertThat(first.get("name").asText()).isEqualTo("Fedora");
        assertThat(first.get("arches").isArray()).isTrue();
    }

    @Test
    void getPrintsANewOverlayOnTheCachedBaseEachTime() throws IOException {
        ImageCheckTest.Run first = diskimage(get("--arch", "x86_64", "--json"));
        assertThat(first.exit()).as(first.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(first.out());
        List<String> keys = new ArrayList<>();
        Iterator<String> names = json.fieldNames();
        names.forEachRemaining(keys::add);
        assertThat(keys).containsExactly("name", "version", "build", "arch", "path", "base");
        assertThat(json.get("name").asText()).isEqualTo("Fedora");
        assertThat(json.get("version").asText()).isEqualTo("41");
        assertThat(json.get("build").asText()).isEqualTo("1.4");
        assertThat(json.get("arch").asText()).isEqualTo("x86_64");
        Path overlay = Path.of(json.get("path").asText());
        Path base = Path.of(json.get("base").asText());
        assertThat(overlay).hasParent(work.resolve("snaps"));
        assertThat(base).startsWith(work.resolve("cache"));
        QemuImgInfo info = QemuImg.system().info(overlay, DiskFormat.QCOW2);
        assertThat(info.backingFilename()).contains(base.toString());

        ImageCheckTest.Run second = diskimage(get("--arch", "x86_64", "--version", "41", "--build", "1.4"));
        assertThat(second.exit()).as(second.err()).isZero();
        String[] lines = second.out().strip().split("\n");
        assertThat(lines[0]).startsWith("Fedora 41 build 1.4 x86_64: " + work.resolve("snaps"))
                .doesNotContain(overlay.toString());
        assertThat(lines[1]).isEqualTo("base: " + base);
        assertThat(diskimage(get("--arch", "x86_64", "--quiet")).out()).isEmpty();
    }

    @Test
    void anImageTheValidatorRefusesIsExit1AndNothingIsCached() {
        ImageCheckTest.Run run = diskimage(get("--arch", "aarch64"));
        oneLineError(run, 1, "Fedora-Cloud-Base-Generic-41-1.4.aarch64.qcow2");
        assertThat(run.err()).contains("refused");
        assertThat(work.resolve("snaps")).doesNotExist();
        assertThat(ImageCache.open(work.resolve("cache")).list()).isEmpty();
    }

    @Test
    void noSuchVersionIsExit1NamingTheListing() {
        ImageCheckTest.Run run = diskimage(get("--arch", "x86_64", "--version", "99"));
        oneLineError(run, 1, "no Fedora version 99");
        assertThat(run.err()).contains(nginx.baseUrl().resolve("releases/").toString(), "41/");
    }

    @Test
    void usageAndSetUpErrorsAreExit2() {
        oneLineError(diskimage("distro", "get", "nosuch", "--cache-dir", work.toString()), 2, "no distro named 'nosuch'");
        oneLineError(diskimage(get("--checksum", "sha256:xyz")), 2, "not a sha256 digest");
        oneLineError(diskimage(get("--version", "../../etc")), 2, "is not a plain name");
        oneLineError(diskimage("distro", "get", "fedora", "--mirror", "ftp://example.org/", "--cache-dir", work.toString()),
                2, "a mirror is an absolute http, https or file URL");
        oneLineError(diskimage("distro", "get", "fedora", "--arch", "x86_64", "--mirror", "http://127.0.0.1:1/",
                "--cache-dir", work.toString()), 2, "cannot read http://127.0.0.1:1/releases/: connection refused");
        assertThat(diskimage("distro").exit()).isEqualTo(2);
        assertThat(diskimage("distro", "get").exit()).isEqualTo(2);
        ImageCheckTest.Run help = diskimage("distro", "get", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("Usage: diskimage distro get", "--version=V", "--snapshot-dir=D", "Exit codes:");
    }
}
