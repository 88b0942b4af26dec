package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.cache.CacheEntry;
import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import dev.diskimage.catalog.cache.ChecksumMismatchException;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.cache.ImageRefusedException;
import dev.diskimage.catalog.testing.NginxServer;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgInfo;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DistroImage against a real nginx serving a Fedora-shaped tree: several versions and builds,
 * each naming Fedora used, clear-signed CHECKSUM files, a wrong checksum, a version without
 * images, a file that is no image. Overlays are checked with qemu-img info.
 */
class DistroImageTest {
    private static final QemuImg QEMU = QemuImg.system();

    @TempDir
    static Path mirrorRoot;

    private static NginxServer nginx;
    private static MirrorTree tree;
    private static Path fedora41;
    private static Path fedora40;

    @TempDir
    Path work;

    private ImageCache cache;
    private MirrorTree.MagicGate gate;

    @BeforeAll
    static void serveMirror() {
        tree = new MirrorTree(mirrorRoot);
        String releases = "fedora/linux/releases/";
        tree.directory(releases + "test/");
        // 39: the old naming
        Path f39 = tree.qcow2(releases + "39/Cloud/x86_64/images/Fedora-Cloud-Base-39-1.5.x86_64.qcow2");
        checksum(releases + "39/Cloud/x86_64/images/Fedora-Cloud-39-1.5-x86_64-CHECKSUM", f39);
        // 40: Generic.<arch>-<version>-<build>, two builds
        fedora40 = tree.qcow2(releases + "40/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2");
        checksum(releases + "40/Cloud/x86_64/images/Fedora-Cloud-40-1.14-x86_64-CHECKSUM", fedora40);
        Path f40old = tree.qcow2(releases + "40/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-40-1.9.qcow2");
        checksum(releases + "40/Cloud/x86_64/images/Fedora-Cloud-40-1.9-x86_64-CHECKSUM", f40old);
        // 41: Generic-<version>-<build>.<arch>; 1.10 is newer than 1.4 and 1.9
        tree.qcow2(releases + "41/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2");
        tree.qcow2(releases + "41/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-41-1.9.x86_64.qcow2");
        fedora41 = tree.qcow2(releases + "41/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-41-1.10.x86_64.qcow2");
        checksum(releases + "41/Cloud/x86_64/images/Fedora-Cloud-41-1.10-x86_64-CHECKSUM", fedora41);
        tree.qcow2(releases + "41/Cloud/x86_64/images/Fedora-Cloud-Base-UKI-41-1.10.x86_64.qcow2");
        // 42: being composed, no x86_64 image yet
        tree.write(releases + "42/Cloud/x86_64/images/README", "soon\n");
        // 41 aarch64: the published checksum is wrong
        Path arm = tree.qcow2(releases + "41/Cloud/aarch64/images/Fedora-Cloud-Base-Generic-41-1.10.aarch64.qcow2");
        tree.write(releases + "41/Cloud/aarch64/images/Fedora-Cloud-41-1.10-aarch64-CHECKSUM",
                "SHA256 (" + arm.getFileName() + ") = " + MirrorTree.wrong(MirrorTree.sha256(arm)).hex() + "\n");
        // 41 ppc64le (the primary tree, reached by naming FedoraSecondary at this mirror): no image, junk
        tree.junk(releases + "41/Cloud/ppc64le/images/Fedora-Cloud-Base-Generic-41-1.10.ppc64le.qcow2");
        nginx = NginxServer.serve(mirrorRoot);
    }

    private static void checksum(String relative, Path image) {
        tree.write(relative, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
                + "# " + image.getFileName() + ": " + image.toFile().length() + " bytes\n"
                + "SHA256 (" + image.getFileName() + ") = " + MirrorTree.sha256(image).hex() + "\n"
                + "-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n");
    }

    @AfterAll
    static void stop() {
        if (nginx != null) {
            nginx.close();
        }
    }

    @BeforeEach
    void cache() {
        cache = ImageCache.open(work.resolve("cache"));
        gate = new MirrorTree.MagicGate();
    }

    private URI fedoraMirror() {
        return nginx.baseUrl().resolve("fedora/linux/");
    }

    private DistroRequest.Builder fedora() {
        return DistroRequest.builder("fedora", gate).mirror(fedoraMirror()).cache(cache).arch("x86_64")
                .snapshotDir(work.resolve("snapshots"));
    }

    private static String path(Path image) {
        return "/" + mirrorRoot.relativize(image).toString();
    }

    @Test
    void handsOutTheNewestVersionAndBuildAsANewOverlayOnEveryGet() throws IOException {
        // the server is shared by the class's tests, each with its own cache
        long earlier = nginx.gets(path(fedora41));
        Image first = DistroImage.get(fedora().build());
        Image second = DistroImage.get(fedora().build());

        assertThat(first.name()).isEqualTo("Fedora");
        assertThat(first.version()).isEqualTo("41");
        assertThat(first.build()).contains("1.10");
        assertThat(first.arch()).isEqualTo("x86_64");
        assertThat(first).hasToString("<Image name=Fedora version=41 arch=x86_64>");
        assertThat(first.url()).isEqualTo(nginx.baseUrl().resolve(path(fedora41).substring(1)));
        assertThat(first.baseImage()).isEqualTo(second.baseImage()).hasSameBinaryContentAs(fedora41);
        assertThat(first.baseImage()).startsWith(cache.root().resolve("by_location"));
        assertThat(first.path()).isNotEqualTo(second.path());
        for (Image image : List.of(first, second)) {
            assertThat(image.path()).exists().hasParent(work.resolve("snapshots"));
            QemuImgInfo info = QEMU.info(image.path(), DiskFormat.QCOW2);
            assertThat(info.backingFilename()).contains(first.baseImage().toAbsolutePath().toString());
            assertThat(info.backingFormat()).contains("qcow2");
        }
        // one download, admitted by the gate once, before any overlay existed
        assertThat(nginx.awaitGets(path(fedora41), earlier + 1)).isEqualTo(earlier + 1);
        assertThat(gate.admitted).hasSize(1);
        List<CacheEntry> entries = cache.list();
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).checksum()).isEqualTo(MirrorTree.sha256(fedora41));
        // the overlays keep the base in use, so prune leaves it
        assertThat(entries.get(0).referrers()).containsExactlyInAnyOrder(first.path(), second.path());
        assertThat(entries.get(0).inUse()).isTrue();
        try (Stream<Path> files = Files.list(work.resolve("snapshots"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .allMatch(name -> name.matches("Fedora-Cloud-Base-Generic-41-1\\.10\\.x86_64-[0-9a-f]{8}\\.qcow2"));
        }
    }

    @Test
    void takesTheAskedVersionAndBuildInEachNaming() {
        Image newest40 = DistroImage.get(fedora().version("40").build());
        assertThat(newest40.build()).contains("1.14");
        assertThat(newest40.baseImage()).hasSameBinaryContentAs(fedora40);

        Image old40 = DistroImage.get(fedora().version("40").build("1.9").build());
        assertThat(old40.url().getPath()).endsWith("Fedora-Cloud-Base-Generic.x86_64-40-1.9.qcow2");

        Image f39 = DistroImage.get(fedora().version("39").build());
        assertThat(f39.url().getPath()).endsWith("/39/Cloud/x86_64/images/Fedora-Cloud-Base-39-1.5.x86_64.qcow2");
        assertThat(f39.build()).contains("1.5");
    }

    @Test
    void skipsANewestVersionThatHasNoImageForTheArchYet() {
        // 42 exists but has no x86_64 image: 41 is taken; naming 42 is an error naming the listing
        assertThat(DistroImage.get(fedora().build()).version()).isEqualTo("41");
        assertThatThrownBy(() -> DistroImage.get(fedora().version("42").build()))
                .isInstanceOf(DistroImageNotFoundException.class)
                .hasMessageContaining("no Fedora 42 image for x86_64")
                .hasMessageContaining(fedoraMirror().resolve("releases/42/Cloud/x86_64/images/").toString())
                .hasMessageContaining("found: README");
    }

    @Test
    void reportsTheListingThePatternAndWhatWasFoundWhenNothingMatches() {
        assertThatThrownBy(() -> DistroImage.get(fedora().version("40").build("7.7").build()))
                .isInstanceOf(DistroImageNotFoundException.class)
                .hasMessageContaining("no Fedora 40 build 7.7 image for x86_64")
                .hasMessageContaining("Fedora-Cloud-Base-Generic")
                .hasMessageContaining("found: ")
                .hasMessageContaining("Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2");
        assertThatThrownBy(() -> DistroImage.get(fedora().version("38").build()))
                .isInstanceOf(DistroImageNotFoundException.class)
                .hasMessageContaining("no Fedora version 38")
                .hasMessageContaining(fedoraMirror().resolve("releases/").toString())
                .hasMessageContaining("39/");
        assertThatThrownBy(() -> DistroImage.get(fedora().arch("riscv64").build()))
                .isInstanceOf(DistroImageNotFoundException.class)
                .hasMessageContaining("riscv64")
                .hasMessageContaining("404")
                .hasMessageContaining("also tried the 2 next older versions");
        assertThatThrownBy(() -> DistroImage.get(fedora().mirror(nginx.baseUrl().resolve("nowhere/")).build()))
                .isInstanceOf(DistroImageNotFoundException.class)
                .hasMessageContaining("no listing at " + nginx.baseUrl().resolve("nowhere/releases/"));
        assertThat(gate.seen).isEmpty();
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void refusesADownloadThatDoesNotHaveThePublishedChecksum() throws IOException {
        assertThatThrownBy(() -> DistroImage.get(fedora().arch("aarch64").build()))
                .isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("Fedora-Cloud-Base-Generic-41-1.10.aarch64.qcow2");
        assertThat(cache.list()).isEmpty();
        assertThat(gate.admitted).isEmpty();
        assertThat(work.resolve("snapshots")).doesNotExist();
    }

    @Test
    void checksTheCallersChecksumAndRefusesOneThatContradictsThePublishedOne() {
        Checksum right = MirrorTree.sha256(fedora41);
        assertThat(DistroImage.get(fedora().checksum(right).build()).baseImage()).hasSameBinaryContentAs(fedora41);
        assertThatThrownBy(() -> DistroImage.get(fedora().checksum(MirrorTree.wrong(right)).build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not the one the distro publishes");
        // Another algorithm than the published one: the caller's is checked.
        Checksum sha512 = MirrorTree.digest(fedora40, ChecksumAlgorithm.SHA512);
        assertThat(DistroImage.get(fedora().version("40").checksum(sha512).build()).baseImage())
                .hasSameBinaryContentAs(fedora40);
    }

    @Test
    void aFileTheGateRefusesIsNeitherCachedNorOverlaid() {
        // ppc64le is FedoraSecondary's; naming the provider moves it to this mirror's primary tree
        assertThatThrownBy(() -> DistroImage.get(DistroRequest.builder("FedoraSecondary", gate)
                .mirror(fedoraMirror()).cache(cache).arch("ppc64le").snapshotDir(work.resolve("snapshots")).build()))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("not a qcow2 image");
        assertThat(gate.seen).hasSize(1);
        assertThat(cache.list()).isEmpty();
        assertThat(work.resolve("snapshots")).doesNotExist();
    }

    @Test
    void aCorruptCachedBaseIsDownloadedAgain() throws IOException {
        String served = "/fedora/linux/releases/40/Cloud/x86_64/images/Fedora-Cloud-Base-Generic.x86_64-40-1.9.qcow2";
        long earlier = nginx.gets(served);
        Image first = DistroImage.get(fedora().version("40").build("1.9").build());
        assertThat(first.url().getPath()).isEqualTo(served);
        assertThat(nginx.awaitGets(served, earlier + 1)).isEqualTo(earlier + 1);
        byte[] bytes = Files.readAllBytes(first.baseImage());
        bytes[bytes.length - 1] ^= 1;
        Files.write(first.baseImage(), bytes);

        Image second = DistroImage.get(fedora().version("40").build("1.9").build());
        assertThat(second.baseImage()).isEqualTo(first.baseImage());
        assertThat(nginx.awaitGets(served, earlier + 2)).isEqualTo(earlier + 2);
        assertThat(MirrorTree.sha256(second.baseImage()))
                .isEqualTo(MirrorTree.sha256(mirrorRoot.resolve(first.url().getPath().substring(1))));
    }

    @Test
    void theClassicSignatureTakesNullsForDefaults() {
        DistroProviders.standard();
        Image image = DistroImage.get(DistroRequest.builder("Fedora", gate).mirror(fedoraMirror())
                .cache(cache).arch("x86_64").build());
        assertThat(image.path()).hasParent(cache.root().resolve(DistroImage.SNAPSHOTS));
        assertThatThrownBy(() -> DistroImage.get("nosuchdistro", null, null, null, null, null, work.resolve("c"),
                null, gate))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no distro named 'nosuchdistro'")
                .hasMessageContaining("Fedora, FedoraSecondary, CentOS, Ubuntu, Debian, openSUSE, CirrOS, FreeBSD");
        assertThatThrownBy(() -> DistroImage.get("fedora", "../etc", null, null, null, null, work.resolve("c"),
                null, gate))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version '../etc' is not a plain name");
        assertThatThrownBy(() -> DistroImage.get("fedora", null, null, null, "abc", "sha3", work.resolve("c"),
                null, gate))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown checksum algorithm");
    }

    @Test
    void concurrentGetsDownloadOnceAndEachGetsItsOwnOverlay() throws Exception {
        String served = "/fedora/linux/releases/39/Cloud/x86_64/images/Fedora-Cloud-Base-39-1.5.x86_64.qcow2";
        long earlier = nginx.gets(served);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Image>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(threads.submit(() -> DistroImage.get(fedora().version("39").build())));
            }
            Set<Path> overlays = new HashSet<>();
            for (Future<Image> future : futures) {
                Image image = future.get(60, TimeUnit.SECONDS);
                overlays.add(image.path());
                assertThat(QEMU.info(image.path(), DiskFormat.QCOW2).backingFilename())
                        .contains(image.baseImage().toString());
            }
            assertThat(overlays).hasSize(8);
            assertThat(cache.list()).singleElement().satisfies(entry -> assertThat(entry.referrers()).hasSize(8));
        } finally {
            threads.shutdownNow();
        }
        assertThat(nginx.awaitGets(served, earlier + 1)).isEqualTo(earlier + 1);
        assertThat(gate.admitted).hasSize(1);
    }

    @Test
    void aSnapshotDirectoryThatCannotBeMadeLeavesTheBaseCachedButNoOverlay() throws IOException {
        Path blocked = Files.writeString(work.resolve("blocked"), "a file, not a directory");
        assertThatThrownBy(() -> DistroImage.get(fedora().snapshotDir(blocked.resolve("snaps")).build()))
                .isInstanceOf(ImageIoException.class)
                .hasMessageContaining(blocked.resolve("snaps").toString());
        assertThat(cache.list()).singleElement().satisfies(entry -> {
            assertThat(entry.referrers()).isEmpty();
            assertThat(entry.inUse()).isFalse();
        });
    }
}
