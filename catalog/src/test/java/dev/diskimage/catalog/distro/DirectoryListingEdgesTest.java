package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** Attribute syntax a hand-written or unusual index page uses, and character references at their limits. */
class DirectoryListingEdgesTest {
    private static final URI IMAGES = URI.create("https://mirror.example/images/");

    @Test
    void findsTheHrefAmongOtherAttributesWhateverTheirSyntax() {
        String html = "<a href = \"40/\">spaces around =</a>"
                + "<a download href=\"41/\">attribute without a value first</a>"
                + "<a hreflang=\"en\" href=\"42/\">a longer name starting with href</a>"
                + "<a data-x=y href=43/>unquoted values</a>"
                + "<a/href=\"44/\">slash before the attribute</a>"
                + "<a href=45/ class=x>unquoted, then another attribute</a>"
                + "<a\thref='46/'>tab and single quotes</a>"
                + "<a href>no value</a>"
                + "<a HREF=\"47/\" href=\"48/\">the first of two</a>"
                + "<a title='a \"quoted\" title' href=\"49/\">quotes inside quotes</a>"
                + "<a title=\"\" href=\"50/\">empty value</a>"
                + "<a download>no href at all</a>";
        assertThat(DirectoryListing.entries(IMAGES, html))
                .containsExactly("40/", "41/", "42/", "43/", "44/", "45/", "46/", "47/", "49/", "50/");
    }

    @Test
    void anHrefAtTheVeryEndOfItsTagIsRead() {
        assertThat(DirectoryListing.entries(IMAGES, "<a href=\"a.img\">")).containsExactly("a.img");
        assertThat(DirectoryListing.entries(IMAGES, "<a href=b.img>")).containsExactly("b.img");
        assertThat(DirectoryListing.entries(IMAGES, "<a href=c.img/>")).containsExactly("c.img/");
        assertThat(DirectoryListing.entries(IMAGES, "<a x href=d.img>")).containsExactly("d.img");
        assertThat(DirectoryListing.entries(IMAGES, "<a x=\"1\"href=e.img>")).containsExactly("e.img");
    }

    @Test
    void referencesAreDecodedWithinTenCharactersOfTheAmpersand() {
        // "&#00000065;" spans 11 characters: its ';' is 10 after the '&'.
        assertThat(DirectoryListing.decodeEntities("&#00000065;")).isEqualTo("A");
        assertThat(DirectoryListing.decodeEntities("&#000000065;")).isEqualTo("&#000000065;");
        assertThat(DirectoryListing.decodeEntities("&#X41;&#;&#x;&#1114112;&#-1;x&AMP;"))
                .isEqualTo("A&#;&#x;&#1114112;&#-1;x&");
        assertThat(DirectoryListing.decodeEntities("no references")).isEqualTo("no references");
        assertThat(DirectoryListing.decodeEntities("&#128512;")).isEqualTo("\uD83D\uDE00");
    }

    @Test
    void anArrowInTheTextDoesNotEndALaterComment() {
        String html = "<p>a --><!-- <a href=\"hidden/\"> --><a href=\"shown/\">shown</a></p>";
        assertThat(DirectoryListing.entries(IMAGES, html)).containsExactly("shown/");
    }

    @Test
    void atMost100000EntriesAreKept() {
        StringBuilder html = new StringBuilder();
        for (int i = 0; i <= DirectoryListing.MAX_ENTRIES; i++) {
            html.append("<a href=").append(i).append(">x</a>");
        }
        assertThat(DirectoryListing.entries(IMAGES, html.toString())).hasSize(DirectoryListing.MAX_ENTRIES)
                .endsWith(String.valueOf(DirectoryListing.MAX_ENTRIES - 1));
    }

    @Test
    void anAttributeNameStartingWithEqualsDoesNotHideTheHref() {
        // HTML reads "=x" as an attribute name (a parse error it recovers from); the href after it counts.
        assertThat(DirectoryListing.entries(IMAGES, "<a =x href=\"60/\">60</a>")).containsExactly("60/");
    }

    @Test
    void anAttributeValueLeftOpenHidesTheRestOfThePage() {
        assertThat(DirectoryListing.entries(IMAGES, "<b title='it<a href=61/>61</a>")).isEmpty();
    }

    @Test
    void aTwoCharacterNumericReferenceIsDecoded() {
        assertThat(DirectoryListing.decodeEntities("a&#9;b")).isEqualTo("a\tb");
    }
}
