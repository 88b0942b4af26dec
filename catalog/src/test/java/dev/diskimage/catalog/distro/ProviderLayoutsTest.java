package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import dev.diskimage.catalog.cache.ChecksumMismatchException;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.testing.NginxServer;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every seed provider against a mirror laid out like the distro's real one (served by nginx),
 * through {@code mirror}: the layout below the base URL is the distro's own.
 */
class ProviderLayoutsTest {
    @TempDir
    static Path mirrorRoot;

    private static NginxServer nginx;
    private static MirrorTree tree;
    private static Path ubuntu2404;
    private static Path debian12;
    private static Path centos10;
    private static Path opensuseBuild;
    private static Path cirros;
    private static Path freebsdImage;
    private static Path secondary;

    @TempDir
    Path work;

    private ImageCache cache;
    private MirrorTree.MagicGate gate;

    @BeforeAll
    static void serveMirrors() {
        tree = new MirrorTree(mirrorRoot);
        // Ubuntu: releases/<v>/release-<date>/ with SHA256SUMS in binary mode; codename aliases beside
        tree.directory("ubuntu/releases/noble/");
        tree.directory("ubuntu/releases/streams/");
        tree.qcow2("ubuntu/releases/22.04/release-20240207/ubuntu-22.04-server-cloudimg-amd64.img");
        Path older = tree.qcow2("ubuntu/releases/24.04/release-20240423/ubuntu-24.04-server-cloudimg-amd64.img");
        ubuntu2404 = tree.qcow2("ubuntu/releases/24.04/release-20241004/ubuntu-24.04-server-cloudimg-amd64.img");
        tree.write("ubuntu/releases/24.04/release-20241004/SHA256SUMS",
                MirrorTree.sha256(ubuntu2404).hex() + " *ubuntu-24.04-server-cloudimg-amd64.img\n"
                        + MirrorTree.sha256(older).hex() + " *ubuntu-24.04-server-cloudimg-arm64.img\n");
        tree.directory("ubuntu/releases/24.04/release/");
        // Debian: <codename>/<date-time>/ and latest/, SHA512SUMS
        tree.directory("debian/bookworm/latest/");
        tree.qcow2("debian/bookworm/20240102-1614/debian-12-generic-amd64-20240102-1614.qcow2");
        debian12 = tree.qcow2("debian/bookworm/20240211-1654/debian-12-generic-amd64-20240211-1654.qcow2");
        tree.write("debian/bookworm/20240211-1654/SHA512SUMS",
                MirrorTree.digest(debian12, ChecksumAlgorithm.SHA512).hex() + "  " + debian12.getFileName() + "\n");
        tree.qcow2("debian/bullseye/20240211-1654/debian-11-generic-amd64-20240211-1654.qcow2");
        tree.directory("debian/sid/");
        // CentOS Stream: <n>-stream/<arch>/images/, both namings, CHECKSUM in BSD style, a latest alias
        tree.qcow2("centos/9-stream/x86_64/images/CentOS-Stream-GenericCloud-9-20240205.0.x86_64.qcow2");
        centos10 = tree.qcow2("centos/10-stream/x86_64/images/CentOS-Stream-GenericCloud-x86_64-10-20241118.0.x86_64.qcow2");
        tree.qcow2("centos/10-stream/x86_64/images/CentOS-Stream-GenericCloud-10-20241022.0.x86_64.qcow2");
        tree.qcow2("centos/10-stream/x86_64/images/CentOS-Stream-GenericCloud-10-latest.x86_64.qcow2");
        tree.write("centos/10-stream/x86_64/images/CHECKSUM", "# CentOS\nSHA256 (" + centos10.getFileName() + ") = "
                + MirrorTree.sha256(centos10).hex() + "\n");
        tree.directory("centos/7/");
        // openSUSE Leap: <v>/appliances/, build-named file and an alias, one .sha256 per file
        tree.qcow2("opensuse/42.3/appliances/openSUSE-Leap-42.3-Minimal-VM.x86_64-Cloud.qcow2");
        Path alias = tree.qcow2("opensuse/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud.qcow2");
        opensuseBuild = tree.qcow2("opensuse/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-15.6.0-Cloud-Build1.64.qcow2");
        tree.write("opensuse/15.6/appliances/" + opensuseBuild.getFileName() + ".sha256",
                MirrorTree.sha256(opensuseBuild).hex() + "  " + opensuseBuild.getFileName() + "\n");
        tree.write("opensuse/15.6/appliances/" + alias.getFileName() + ".sha256",
                MirrorTree.sha256(alias).hex() + "  " + alias.getFileName() + "\n");
        tree.qcow2("opensuse/15.5/appliances/openSUSE-Leap-15.5-Minimal-VM.x86_64-Cloud.qcow2");
        // CirrOS: <x.y.z>/, MD5SUMS only
        tree.qcow2("cirros/0.5.2/cirros-0.5.2-x86_64-disk.img");
        cirros = tree.qcow2("cirros/0.6.2/cirros-0.6.2-x86_64-disk.img");
        tree.write("cirros/0.6.2/MD5SUMS", MirrorTree.digest(cirros, ChecksumAlgorithm.MD5).hex()
                + "  cirros-0.6.2-x86_64-disk.img\n");
        // FreeBSD: <v>-RELEASE/<arch>/Latest/, xz, CHECKSUM.SHA512 of the .xz
        freebsdImage = tree.qcow2("freebsd-src/FreeBSD-14.1-RELEASE-amd64.qcow2");
        Path xz = tree.xz(freebsdImage, "freebsd/14.1-RELEASE/amd64/Latest/FreeBSD-14.1-RELEASE-amd64.qcow2.xz");
        tree.write("freebsd/14.1-RELEASE/amd64/Latest/CHECKSUM.SHA512", "SHA512 (" + xz.getFileName() + ") = "
                + MirrorTree.digest(xz, ChecksumAlgorithm.SHA512).hex() + "\n");
        Path xz13 = tree.xz(tree.qcow2("freebsd-src/FreeBSD-13.3-RELEASE-amd64.qcow2"),
                "freebsd/13.3-RELEASE/amd64/Latest/FreeBSD-13.3-RELEASE-amd64.qcow2.xz");
        tree.write("freebsd/13.3-RELEASE/amd64/Latest/CHECKSUM.SHA512", "SHA512 (" + xz13.getFileName() + ") = "
                + MirrorTree.wrong(MirrorTree.digest(xz13, ChecksumAlgorithm.SHA512)).hex() + "\n");
        // Fedora secondary arches
        secondary = tree.qcow2("fedora-secondary/releases/41/Cloud/s390x/images/Fedora-Cloud-Base-Generic-41-1.4.s390x.qcow2");
        nginx = NginxServer.serve(mirrorRoot);
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

    private Image get(String distro, String mirror, String arch) {
        return DistroImage.get(request(distro, mirror, arch).build());
    }

    private DistroRequest.Builder request(String distro, String mirror, String arch) {
        return DistroRequest.builder(distro, gate).mirror(nginx.baseUrl().resolve(mirror)).cache(cache).arch(arch)
                .snapshotDir(work.resolve("snapshots"));
    }

    private static void backedBy(Image image) {
        assertThat(QemuImg.system().info(image.path(), DiskFormat.QCOW2).backingFilename())
                .contains(image.baseImage().toString());
    }

    @Test
    void ubuntuTakesTheNewestReleaseDirectoryWithAmd64ForX8664() {
        Image image = get("ubuntu", "ubuntu/", "x86_64");
        assertThat(image.version()).isEqualTo("24.04");
        assertThat(image.build()).contains("20241004");
        assertThat(image.url().getPath()).isEqualTo("/ubuntu/releases/24.04/release-20241004/ubuntu-24.04-server-cloudimg-amd64.img");
        assertThat(image.baseImage()).hasSameBinaryContentAs(ubuntu2404);
        assertThat(cache.list().get(0).checksum()).isEqualTo(MirrorTree.sha256(ubuntu2404));
        backedBy(image);
        assertThat(DistroImage.get(request("Ubuntu", "ubuntu/", "x86_64").version("22.04").build()).build())
                .contains("20240207");
    }

    @Test
    void debianWalksCodenameAndBuildDirectoriesAndChecksSha512() {
        Image image = get("debian", "debian/", "x86_64");
        assertThat(image.version()).isEqualTo("12");
        assertThat(image.build()).contains("20240211-1654");
        assertThat(image.baseImage()).hasSameBinaryContentAs(debian12);
        assertThat(cache.list().get(0).checksum()).isEqualTo(MirrorTree.digest(debian12, ChecksumAlgorithm.SHA512));
        backedBy(image);
        Image bullseye = DistroImage.get(request("debian", "debian/", "x86_64").version("bullseye").build());
        assertThat(bullseye.version()).isEqualTo("11");
        assertThat(bullseye.url().getPath()).isEqualTo("/debian/bullseye/20240211-1654/debian-11-generic-amd64-20240211-1654.qcow2");
        assertThat(DistroImage.get(request("debian", "debian/", "x86_64").version("12").build("20240102-1614").build())
                .url().getPath()).endsWith("debian-12-generic-amd64-20240102-1614.qcow2");
    }

    @Test
    void centosTakesTheNewestStreamAndBuildAcrossBothNamings() {
        Image image = get("centos", "centos/", "x86_64");
        assertThat(image.version()).isEqualTo("10");
        assertThat(image.build()).contains("20241118.0");
        assertThat(image.baseImage()).hasSameBinaryContentAs(centos10);
        assertThat(cache.list().get(0).checksum()).isEqualTo(MirrorTree.sha256(centos10));
        assertThat(DistroImage.get(request("CentOS", "centos/", "x86_64").version("9").build()).build())
                .contains("20240205.0");
    }

    @Test
    void opensusePrefersTheBuildNamedFileAndItsOwnSha256() {
        Image image = get("opensuse", "opensuse/", "x86_64");
        assertThat(image.version()).isEqualTo("15.6");
        assertThat(image.build()).contains("1.64");
        assertThat(image.baseImage()).hasSameBinaryContentAs(opensuseBuild);
        assertThat(cache.list().get(0).checksum()).isEqualTo(MirrorTree.sha256(opensuseBuild));
        Image older = DistroImage.get(request("openSUSE", "opensuse/", "x86_64").version("15.5").build());
        assertThat(older.build()).isEmpty();
        assertThat(older.url().getPath()).endsWith("openSUSE-Leap-15.5-Minimal-VM.x86_64-Cloud.qcow2");
    }

    @Test
    void cirrosChecksMd5SumsWhenThatIsAllItPublishes() {
        Image image = get("cirros", "cirros/", "x86_64");
        assertThat(image.version()).isEqualTo("0.6.2");
        assertThat(image.build()).isEmpty();
        assertThat(image).hasToString("<Image name=CirrOS version=0.6.2 arch=x86_64>");
        assertThat(image.baseImage()).hasSameBinaryContentAs(cirros);
        assertThat(cache.list().get(0).checksum()).isEqualTo(MirrorTree.digest(cirros, ChecksumAlgorithm.MD5));
        backedBy(image);
    }

    @Test
    void freebsdChecksTheCompressedDownloadAndCachesTheImage() {
        Image image = get("freebsd", "freebsd/", "x86_64");
        assertThat(image.version()).isEqualTo("14.1");
        assertThat(image.baseImage().getFileName().toString()).isEqualTo("FreeBSD-14.1-RELEASE-amd64.qcow2");
        assertThat(image.baseImage()).hasSameBinaryContentAs(freebsdImage);
        backedBy(image);
        assertThatThrownBy(() -> DistroImage.get(request("freebsd", "freebsd/", "x86_64").version("13.3").build()))
                .isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("FreeBSD-13.3-RELEASE-amd64.qcow2.xz");
        assertThat(cache.list()).hasSize(1);
        assertThat(gate.admitted).hasSize(1);
    }

    @Test
    void fedoraOnS390xIsFedoraSecondary() {
        Image image = DistroImage.get(DistroRequest.builder("fedora", gate)
                .mirror(nginx.baseUrl().resolve("fedora-secondary/")).cache(cache).arch("s390x").build());
        assertThat(image.name()).isEqualTo("FedoraSecondary");
        assertThat(image.baseImage()).hasSameBinaryContentAs(secondary);
        assertThat(image).hasToString("<Image name=FedoraSecondary version=41 arch=s390x>");
    }

    @Test
    void aUsersOwnProviderIsOneRegistration() {
        DistroProviders providers = DistroProviders.standard().register(
                DistroProvider.builder("Tiny", URI.create("https://tiny.example/images/"))
                        .versions("", "v{version}/", "\\d+\\.\\d+")
                        .images("v{version}/")
                        .file("cirros-{version}-{arch}-disk\\.img")
                        .build());
        assertThat(providers.find("TINY")).isPresent();
        assertThat(providers.all()).extracting(DistroProvider::name).endsWith("Tiny");
        tree.qcow2("tiny/v1.2/cirros-1.2-x86_64-disk.img");
        tree.qcow2("tiny/v1.10/cirros-1.10-x86_64-disk.img");
        Image image = DistroImage.get(request("tiny", "tiny/", "x86_64").providers(providers).build());
        assertThat(image.version()).isEqualTo("1.10");
        assertThat(image.name()).isEqualTo("Tiny");
    }

    @Test
    void aFileMirrorKeepsTheLayoutToo() {
        Image image = DistroImage.get(DistroRequest.builder("debian", gate).mirror(mirrorRoot.resolve("debian").toUri())
                .cache(cache).arch("x86_64").build());
        assertThat(image.url().getScheme()).isEqualTo("file");
        assertThat(image.baseImage()).hasSameBinaryContentAs(debian12);
        assertThat(cache.list().get(0).checksum()).isEqualTo(MirrorTree.digest(debian12, ChecksumAlgorithm.SHA512));
    }

    @Test
    void seedsFollowTheRealBaseUrls() {
        DistroProviders providers = DistroProviders.standard();
        assertThat(providers.all()).extracting(DistroProvider::name).containsExactly("Fedora", "FedoraSecondary",
                "CentOS", "Ubuntu", "Debian", "openSUSE", "CirrOS", "FreeBSD");
        assertThat(providers.find("fedora").orElseThrow().baseUrl())
                .isEqualTo(URI.create("https://dl.fedoraproject.org/pub/fedora/linux/"));
        DistroProvider mirrored = providers.find("fedora").orElseThrow().withMirror(URI.create("http://m.example/f"));
        assertThat(mirrored.baseUrl()).isEqualTo(URI.create("http://m.example/f/"));
        assertThat(mirrored.imagesPath()).isEqualTo("releases/{version}/Cloud/{arch}/images/");
        assertThat(providers.require("Fedora", "ppc64le").name()).isEqualTo("FedoraSecondary");
        assertThat(providers.require("Fedora", "aarch64").name()).isEqualTo("Fedora");
        assertThatThrownBy(() -> providers.find("fedora").orElseThrow().withMirror(URI.create("ftp://m.example/")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DistroProvider.builder("bad name", URI.create("https://x.example/")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DistroProvider.builder("NoFiles", URI.create("https://x.example/")).build())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> DistroProvider.builder("Broken", URI.create("https://x.example/"))
                .images("x/").file("{nosuch}.img").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("{nosuch}");
        assertThatThrownBy(() -> DistroProvider.builder("NoBuildDirs", URI.create("https://x.example/"))
                .images("{version}/{build}/").file("a.img").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("uses {build}");
        assertThatThrownBy(() -> DistroProvider.builder("BadChecksum", URI.create("https://x.example/"))
                .images("{version}/").file("a.img").checksumFile("{files}.sha256").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("uses {files}");
        assertThatThrownBy(() -> DistroProvider.builder("BadVersions", URI.create("https://x.example/"))
                .versions("{version}/", "{version}/", "\\d+").images("{version}/").file("a.img").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the versions path");
    }

    @Test
    void releasesTheBaseNoLongerCarriesAreFoundInTheArchives() {
        tree.qcow2("current/releases/42/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2");
        Path archived = tree.qcow2("archive/releases/38/Cloud/x86_64/images/Fedora-Cloud-Base-38-1.6.x86_64.qcow2");
        DistroProvider seed = DistroProviders.standard().find("fedora").orElseThrow();
        assertThat(seed.archiveUrls()).containsExactly(
                URI.create("https://archives.fedoraproject.org/pub/archive/fedora/linux/"));
        DistroProvider local = DistroProvider.builder("Fedora", nginx.baseUrl().resolve("current/"))
                .archive(nginx.baseUrl().resolve("archive/"))
                .versions("releases/", "{version}/", "\\d+").buildRegex("\\d+\\.\\d+")
                .images("releases/{version}/Cloud/{arch}/images/")
                .file("Fedora-Cloud-Base-Generic-{version}-{build}\\.{arch}\\.qcow2")
                .file("Fedora-Cloud-Base-{version}-{build}\\.{arch}\\.qcow2")
                .build();
        DistroProviders providers = DistroProviders.empty().register(local);
        DistroRequest.Builder fedora = DistroRequest.builder("fedora", gate).providers(providers).cache(cache)
                .arch("x86_64").snapshotDir(work.resolve("snapshots"));

        assertThat(DistroImage.get(fedora.build()).version()).isEqualTo("42");
        Image old = DistroImage.get(fedora.version("38").build());
        assertThat(old.url()).isEqualTo(nginx.baseUrl().resolve("archive/" + mirrorRoot.resolve("archive")
                .relativize(archived)));
        assertThat(old.baseImage()).hasSameBinaryContentAs(archived);
        assertThatThrownBy(() -> DistroImage.get(fedora.version("37").build()))
                .isInstanceOf(DistroImageNotFoundException.class)
                .hasMessageContaining("no Fedora version 37")
                .hasMessageContaining("and not in the archive " + nginx.baseUrl().resolve("archive/"));
        // a mirror replaces the archives too
        assertThat(local.withMirror(URI.create("http://m.example/")).archiveUrls()).isEmpty();
        assertThatThrownBy(() -> DistroImage.get(fedora.version("38").mirror(nginx.baseUrl().resolve("current/")).build()))
                .isInstanceOf(DistroImageNotFoundException.class)
                .hasMessageNotContaining("archive");
    }

    @Test
    void aProviderRegisteredInTheGlobalRegistryReachesTheClassicSignature() {
        tree.qcow2("global/3.1/cirros-3.1-x86_64-disk.img");
        assertThat(DistroProviders.global().all()).extracting(DistroProvider::name)
                .startsWith("Fedora", "FedoraSecondary", "CentOS", "Ubuntu", "Debian", "openSUSE", "CirrOS", "FreeBSD");
        assertThat(DistroProviders.IMAGE_PROVIDERS).hasSize(8);
        DistroProviders.global().register(DistroProvider.builder("GlobalTiny", nginx.baseUrl().resolve("global/"))
                .versions("", "{version}/", "\\d+\\.\\d+")
                .images("{version}/")
                .file("cirros-{version}-{arch}-disk\\.img")
                .build());
        Image image = DistroImage.get("globaltiny", null, null, "x86_64", null, null, work.resolve("cache"),
                work.resolve("snaps"), gate);
        assertThat(image).hasToString("<Image name=GlobalTiny version=3.1 arch=x86_64>");
        assertThat(image.path()).hasParent(work.resolve("snaps"));
        assertThat(DistroProviders.standard().find("GlobalTiny")).isEmpty();
    }

    @Test
    void archesAreSpelledTheDistrosWay() {
        Path ppc = tree.qcow2("spelling/ubuntu/releases/24.04/release-20241004/ubuntu-24.04-server-cloudimg-ppc64el.img");
        Path arm = tree.qcow2("spelling/debian/bookworm/20240211-1654/debian-12-generic-arm64-20240211-1654.qcow2");
        Path bsd = tree.xz(tree.qcow2("spelling/src/FreeBSD-14.1-RELEASE-arm64-aarch64.qcow2"),
                "spelling/freebsd/14.1-RELEASE/aarch64/Latest/FreeBSD-14.1-RELEASE-arm64-aarch64.qcow2.xz");
        assertThat(get("ubuntu", "spelling/ubuntu/", "ppc64le").baseImage()).hasSameBinaryContentAs(ppc);
        Image debian = get("debian", "spelling/debian/", "aarch64");
        assertThat(debian.baseImage()).hasSameBinaryContentAs(arm);
        assertThat(debian).hasToString("<Image name=Debian version=12 arch=aarch64>");
        Image freebsd = get("freebsd", "spelling/freebsd/", "aarch64");
        assertThat(freebsd.url().getPath()).isEqualTo("/" + mirrorRoot.relativize(bsd));
        assertThat(freebsd.baseImage()).hasSameBinaryContentAs(mirrorRoot.resolve("spelling/src/FreeBSD-14.1-RELEASE-arm64-aarch64.qcow2"));
    }

    @Test
    void readsAnApacheStyleListingPageTheMirrorServes() {
        // nginx serves a directory's index.html instead of its autoindex: the page Apache's
        // mod_autoindex writes, with sort links, icons, a parent link and an absolute href
        Path image = tree.qcow2("apache/0.6.3/cirros-0.6.3-x86_64-disk.img");
        tree.qcow2("apache/0.6.10/cirros-0.6.10-x86_64-disk.img");
        // on disk but not on the page: found only if the page were not read
        tree.qcow2("apache/0.7.0/cirros-0.7.0-x86_64-disk.img");
        tree.write("apache/index.html", """
                <!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
                <html><head><title>Index of /apache</title></head><body>
                <h1>Index of /apache</h1>
                <table>
                 <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th>                <th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th></tr>
                 <tr><th colspan="5"><hr></th></tr>
                <tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/">Parent Directory</a></td></tr>
                <tr><td valign="top"><img src="/icons/folder.gif" alt="[DIR]"></td><td><a href="0.6.3/">0.6.3/</a></td>                <td align="right">2024-09-26 09:03  </td><td align="right">  - </td></tr>
                <tr><td valign="top"><img src="/icons/folder.gif" alt="[DIR]"></td><td><a href="/apache/0.6.10/">0.6.10/</a></td>                <td align="right">2024-09-26 09:03  </td><td align="right">  - </td></tr>
                 <tr><th colspan="5"><hr></th></tr>
                </table>
                <address>Apache/2.4.62 (Debian) Server at mirror Port 80</address>
                </body></html>
                """);
        Image got = get("cirros", "apache/", "x86_64");
        assertThat(got.version()).isEqualTo("0.6.10");
        Image named = DistroImage.get(request("cirros", "apache/", "x86_64").version("0.6.3").build());
        assertThat(named.baseImage()).hasSameBinaryContentAs(image);
    }
}
