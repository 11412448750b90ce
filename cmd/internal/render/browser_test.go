package render

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
)

// chromium returns the path of a Chromium or Chrome binary, or skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (install the Debian packages chromium and chromium-driver, as .ci/run does); the HTML report was not checked in a browser")
	return ""
}

// headless runs Chromium on a local page with a fresh profile and no
// network activity of its own; the extra arguments say what to produce.
func headless(t *testing.T, bin, page string, extra ...string) []byte {
	t.Helper()
	profile := t.TempDir()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile,
		// Any lookup the page caused would fail: the report must not need one.
		"--host-resolver-rules=MAP * ~NOTFOUND",
	}
	args = append(append(args, extra...), "file://"+page)
	// The deadline only stops a hung browser; nothing is asserted on time.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, tail(errOut.String(), 2000))
	}
	return out.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// browserReport picks the report to look at: the scenario report with the
// most findings, or the hand-made upgrade when no golden report exists.
func browserReport(t *testing.T) (string, *Report) {
	name, best := "upgrade", New(upgradeTriage())
	golden := goldenReports(t)
	names := make([]string, 0, len(golden))
	for n := range golden {
		names = append(names, n)
	}
	sort.Strings(names)
	most := -1
	for _, n := range names {
		r := golden[n]
		score := len(r.Findings)*10 + len(r.Timeline)
		if score > most {
			name, best, most = n, r, score
		}
	}
	return name, best
}

// TestHTMLInBrowser opens the HTML report in headless Chromium: the
// rendered page must hold the timeline chart, the build matrix and every
// finding, and its screenshot must show the styled page rather than a
// blank one. With -update it also writes the small screenshot the README
// shows, fixtures/screenshots/report.png.
func TestHTMLInBrowser(t *testing.T) {
	bin := chromium(t)
	type page struct {
		name string
		r    *Report
	}
	cases := []page{{"upgrade", New(upgradeTriage())}}
	if name, r := browserReport(t); name != "upgrade" {
		cases = append(cases, page{name, r})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			b, err := Render(r, HTML)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "report.html")
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}

			dom := string(headless(t, bin, file, "--dump-dom"))
			text := html.UnescapeString(dom)
			if !strings.Contains(dom, `<svg id="timeline"`) || !strings.Contains(dom, `<table id="build-matrix">`) {
				t.Fatalf("the page lacks the timeline or the build matrix:\n%s", tail(dom, 3000))
			}
			svg := dom[strings.Index(dom, `<svg id="timeline"`):]
			svg = svg[:strings.Index(svg, "</svg>")]
			matrix := dom[strings.Index(dom, `<table id="build-matrix">`):]
			matrix = matrix[:strings.Index(matrix, "</table>")]
			for _, n := range r.Nodes {
				if !strings.Contains(matrix, "<strong>"+html.EscapeString(n.Name)+"</strong>") {
					t.Errorf("node %s is not in the build matrix", n.Name)
				}
			}
			drawn := 0
			for _, e := range r.Timeline {
				if !e.Time.IsZero() {
					drawn++
				}
			}
			if drawn > 0 && strings.Count(svg, "<title>") < drawn {
				t.Errorf("the chart shows %d items, the timeline has %d timed entries", strings.Count(svg, "<title>")-1, drawn)
			}
			for _, f := range r.Findings {
				if !strings.Contains(dom, `<article class="finding sev-`+f.Severity.String()+`" id="`+f.ID+`">`) ||
					!strings.Contains(text, f.ID+" · "+f.Summary) {
					t.Errorf("finding %s (%s) is not on the page", f.ID, f.Summary)
				}
				if !f.Start.IsZero() && !strings.Contains(svg, ">"+f.ID+"</text>") {
					t.Errorf("finding %s is not on the timeline chart", f.ID)
				}
			}

			shot := filepath.Join(t.TempDir(), "shot.png")
			headless(t, bin, file, "--screenshot="+shot, "--window-size=1280,1600", "--hide-scrollbars")
			img := readPNG(t, shot)
			if got := img.Bounds().Dx(); got != 1280 {
				t.Errorf("screenshot is %d wide", got)
			}
			inked, verdict, colours := inspect(img, verdictColour(r.Verdict.Result))
			// A blank or unstyled page has next to no ink and no banner.
			if inked < 0.03 || colours < 16 {
				t.Errorf("screenshot looks blank: %.1f%% inked, %d colours", inked*100, colours)
			}
			if verdict < 0.002 {
				t.Errorf("the %s verdict banner is not visible in the screenshot (%.3f%% of pixels)", r.Verdict.Result, verdict*100)
			}
			if *update && tc.name != "upgrade" {
				writeReadmeShot(t, img)
			}
		})
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return img
}

// verdictColour is the banner colour of the page's CSS for a verdict.
func verdictColour(v string) color.RGBA {
	switch v {
	case Pass:
		return color.RGBA{0x2e, 0x7d, 0x32, 0xff}
	case Attention:
		return color.RGBA{0xef, 0x8f, 0x00, 0xff}
	}
	return color.RGBA{0xc6, 0x28, 0x28, 0xff}
}

// inspect returns the share of pixels that are not near white, the share
// close to want, and how many distinct colours there are (up to 4096).
func inspect(img image.Image, want color.RGBA) (inked, match float64, colours int) {
	b := img.Bounds()
	seen := map[uint32]bool{}
	var ink, hit, total int
	near := func(a, b uint32) bool { d := int(a>>8) - int(b); return d > -12 && d < 12 }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r>>8 < 235 || g>>8 < 235 || bl>>8 < 235 {
				ink++
			}
			if near(r, uint32(want.R)) && near(g, uint32(want.G)) && near(bl, uint32(want.B)) {
				hit++
			}
			if len(seen) < 4096 {
				seen[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
			}
		}
	}
	return float64(ink) / float64(total), float64(hit) / float64(total), len(seen)
}

// writeReadmeShot stores the top of the page, reduced to a 256-colour
// palette so that the file stays small.
func writeReadmeShot(t *testing.T, img image.Image) {
	t.Helper()
	p := image.NewPaletted(img.Bounds(), palette.Plan9)
	draw.Draw(p, p.Bounds(), img, img.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(fixtures.Dir(), "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote fixtures/screenshots/report.png (%d bytes)", buf.Len())
}

// TestHTMLBadgesWhole opens the report in headless Chromium at a narrow and
// a wide window and checks that no severity badge is cut or broken over
// two lines ("WARNIN" / "G"). The page itself has no script; the test adds
// one to a copy that measures every badge and writes what it found into
// the page, which --dump-dom then returns.
func TestHTMLBadgesWhole(t *testing.T) {
	bin := chromium(t)
	_, rep := browserReport(t)
	var buf bytes.Buffer
	if err := Write(&buf, rep, HTML); err != nil {
		t.Fatal(err)
	}
	const probe = `<script>
window.addEventListener('load', function () {
  var bad = [], n = 0;
  document.querySelectorAll('.sev').forEach(function (el) {
    n++;
    var lines = el.getClientRects().length;
    var h = parseFloat(getComputedStyle(el).lineHeight) || 16;
    if (el.scrollWidth > el.clientWidth + 1 || lines > 1 || el.getBoundingClientRect().height > 2 * h) {
      bad.push(el.textContent + ' (' + el.clientWidth + 'px for ' + el.scrollWidth + 'px, ' + lines + ' boxes)');
    }
  });
  var out = document.createElement('pre');
  out.id = 'badge-check';
  out.textContent = 'badges=' + n + '\n' + bad.join('\n');
  document.body.appendChild(out);
});
</script>`
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, []byte(strings.Replace(buf.String(), "</body>", probe+"</body>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, size := range []string{"640,900", "1280,900"} {
		dom := string(headless(t, bin, page, "--window-size="+size, "--virtual-time-budget=5000", "--dump-dom"))
		i := strings.Index(dom, `<pre id="badge-check">`)
		if i < 0 {
			t.Fatalf("window %s: the probe did not run", size)
		}
		got := html.UnescapeString(dom[i+len(`<pre id="badge-check">`):])
		got = got[:strings.Index(got, "</pre>")]
		lines := strings.Split(got, "\n")
		if lines[0] == "badges=0" {
			t.Fatalf("window %s: no badge on the page", size)
		}
		if len(lines) > 1 && strings.TrimSpace(strings.Join(lines[1:], "")) != "" {
			t.Errorf("window %s: badges cut or broken:\n%s", size, strings.Join(lines[1:], "\n"))
		}
	}
}
