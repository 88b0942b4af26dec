package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** Listing pages as Apache, nginx and hand-made mirrors write them. */
class DirectoryListingTest {
    private static final URI RELEASES = URI.create("https://mirror.example/pub/fedora/linux/releases/");

    @Test
    void readsAnApacheFancyIndex() {
        String html = """
                <!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
                <html>
                 <head>
                  <title>Index of /pub/fedora/linux/releases</title>
                 </head>
                 <body>
                <h1>Index of /pub/fedora/linux/releases</h1>
                <pre><img src="/icons/blank.gif" alt="Icon "> <a href="?C=N;O=D">Name</a>\
                                    <a href="?C=M;O=A">Last modified</a>      <a href="?C=S;O=A">Size</a>\
                  <a href="?C=D;O=A">Description</a><hr><img src="/icons/back.gif" alt="[PARENTDIR]">\
                 <a href="/pub/fedora/linux/">Parent Directory</a>                             -
                <img src="/icons/folder.gif" alt="[DIR]"> <a href="39/">39/</a>                     2023-11-02 14:29    -
                <img src="/icons/folder.gif" alt="[DIR]"> <a href="40/">40/</a>                     2024-04-16 14:38    -
                <img src="/icons/folder.gif" alt="[DIR]"> <a href="test/">test/</a>                   2024-09-17 19:20    -
                <hr></pre>
                </body></html>
                """;
        assertThat(DirectoryListing.entries(RELEASES, html)).containsExactly("39/", "40/", "test/");
    }

    @Test
    void readsAnNginxAutoindex() {
        String html = """
                <html>
                <head><title>Index of /releases/40/Cloud/x86_64/images/</title></head>
                <body>
                <h1>Index of /releases/40/Cloud/x86_64/images/</h1><hr><pre><a href="../">../</a>
                <a href="Fedora-Cloud-40-1.14-x86_64-CHECKSUM">Fedora-Cloud-40-1.14-x86_64-CHECKSUM</a>          \
                06-Dec-2026 00:01                 1084
                <a href="Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2">Fedora-Cloud-Base-Generic.x86_64-40-1.14.qc..&gt;</a> \
                06-Dec-2026 00:01               196624
                </pre><hr></body>
                </html>
                """;
        assertThat(DirectoryListing.entries(URI.create("http://127.0.0.1:8080/releases/40/Cloud/x86_64/images/"), html))
                .containsExactly("Fedora-Cloud-40-1.14-x86_64-CHECKSUM", "Fedora-Cloud-Base-Generic.x86_64-40-1.14.qcow2");
    }

    @Test
    void toleratesUnusualMarkup() {
        String html = "<TABLE><TR><TD><A HREF=41/>41</A>"
                + "<a\n  class='dir'\n  href='42/'\n>42</a>"
                + "<a title=\"x > y\" href=\"43/\">43</a>"
                + "<!-- <a href=\"99/\">hidden</a> -->"
                + "<a href=\"&#52;4/\">44</a>"
                + "<a href=\"4%35/\">45</a>"
                + "<a href=\"https://mirror.example/pub/fedora/linux/releases/46/\">46</a>"
                + "<a href=\"/pub/fedora/linux/releases/47/\">47</a>"
                + "<a href=\"https://elsewhere.example/pub/fedora/linux/releases/48/\">48</a>"
                + "<a href=\"49/sub/\">deeper</a><a href=\"../../etc/\">up</a><a href=\"..%2F\">encoded up</a>"
                + "<a href=\"#top\">top</a><a name=\"anchor\">no href</a><abbr href=\"50/\">not a link</abbr>"
                + "<link href=\"style.css\"><area href=\"51/\">"
                + "<a href=\"a&amp;b.qcow2\">bad name</a><a href=\"41/\">again</a>"
                + "<a href=\"52/?C=M\">sorted</a><a href=\"53/#frag\">fragment</a><a href=\"\">empty</a>"
                + "<a href=54/>unquoted, no end</a><a href=\"./55/\">dot</a><a href=\"56/../57/\">climbs back</a>"
                + "<a href=\"HTTPS://MIRROR.EXAMPLE/pub/fedora/linux/releases/58/\">upper-case host</a>";
        assertThat(DirectoryListing.entries(RELEASES, html))
                .containsExactly("41/", "42/", "43/", "44/", "45/", "46/", "47/", "53/", "54/", "55/", "57/", "58/");
    }

    @Test
    void keepsNoNameThatCouldLeaveTheDirectory() {
        String html = "<a href=\"..\">..</a><a href=\".\">.</a><a href=\".hidden\">h</a><a href=\"a%0Ab\">nl</a>"
                + "<a href=\"a b.img\">space</a><a href=\"ok.img\">ok</a>";
        assertThat(DirectoryListing.entries(RELEASES, html)).containsExactly("ok.img");
    }

    @Test
    void endsOnUnterminatedMarkup() {
        assertThat(DirectoryListing.entries(RELEASES, "<a href=\"40/\">40</a><a href=\"41/")).containsExactly("40/");
        assertThat(DirectoryListing.entries(RELEASES, "<!-- <a href=\"40/\">")).isEmpty();
        assertThat(DirectoryListing.entries(RELEASES, "")).isEmpty();
        assertThat(DirectoryListing.entries(RELEASES, "<")).isEmpty();
    }

    @Test
    void decodesEntities() {
        assertThat(DirectoryListing.decodeEntities("a&amp;b&lt;&gt;&quot;&apos;&#65;&#x42;&bogus;&#xZZ;&"))
                .isEqualTo("a&b<>\"'AB&bogus;&#xZZ;&");
    }
}
