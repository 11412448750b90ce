package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

// A full disk during indexing fails the build within seconds, with an
// error that says so, and leaves nothing behind. Needs root to mount a
// tiny tmpfs; TestPersistErrorFailsWriter covers the same path anywhere.
func TestDiskFullFailsFast(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting a tiny tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", dir).Run()
	start := time.Now()
	w, err := Create(filepath.Join(dir, "full.exlog"))
	if err != nil {
		if !errors.Is(err, ErrUnwritable) {
			t.Fatalf("create: %v", err)
		}
		return
	}
	for _, e := range sampleEvents(30000) { // about 5 MB of index
		w.Add(e)
	}
	err = w.Close()
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a full disk took %v to fail", took)
	}
	if !errors.Is(err, ErrUnwritable) || !strings.Contains(err.Error(), "the disk is full") {
		t.Fatalf("close on a full disk: %v, want ErrUnwritable saying the disk is full", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("a failed build left %v", ents)
	}
}

// The background persister's errors reach the Writer: Add stops blocking,
// Close returns the error at once and removes the partial index.
func TestPersistErrorFailsWriter(t *testing.T) {
	dir := t.TempDir()
	w := writerWith(t, dir, 100)
	onAsyncError(fmt.Errorf("persist: %w", syscall.ENOSPC), filepath.Join(w.tmp, "store")) // as scorch reports it
	done := make(chan error, 1)
	go func() {
		for _, e := range sampleEvents(20000) {
			w.Add(e)
		}
		done <- w.Close()
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the writer hangs after a persist error")
	}
	var de *DestError
	if !errors.As(err, &de) || !errors.Is(err, ErrUnwritable) {
		t.Fatalf("close: %v, want a DestError", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %v", ents)
	}
}

// A read-only destination is an ErrUnwritable, which exlog maps to its
// I/O exit code, not a usage error.
func TestReadOnlyDestination(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o755)
	if os.Getuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro).CombinedOutput(); err != nil {
			t.Skipf("cannot mount a read-only tmpfs: %v %s", err, out)
		}
		defer exec.Command("umount", ro).Run()
	} else {
		os.Chmod(ro, 0o555)
		defer os.Chmod(ro, 0o755)
	}
	_, err := Create(filepath.Join(ro, "x.exlog"))
	if !errors.Is(err, ErrUnwritable) {
		t.Fatalf("create in a read-only folder: %v, want ErrUnwritable", err)
	}
}

// exlog replaces only folders it can prove it built.
func TestOnlyOwnFoldersReplaced(t *testing.T) {
	dir := t.TempDir()
	// A folder that merely holds an index_meta.json, with the user's files.
	other := filepath.Join(dir, "mine")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "index_meta.json"), []byte(`{"storage":"scorch"}`), 0o644)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep me"), 0o644)
	if _, err := Create(other); !errors.Is(err, ErrNotIndex) {
		t.Fatalf("create over a foreign folder: %v, want ErrNotIndex", err)
	}
	if b, err := os.ReadFile(filepath.Join(other, "notes.txt")); err != nil || string(b) != "keep me" {
		t.Fatalf("the user's file was touched: %q %v", b, err)
	}
	// exlog's own index is replaced; it carries the marker file.
	path := build(t, dir, sampleEvents(10))
	if !hasMarker(path) || !IsIndexDir(path) {
		t.Fatal("a built index has no marker file")
	}
	build(t, dir, sampleEvents(20))
	// An index of an older exlog (no marker file, exlog's key inside
	// bleve) is still replaced.
	os.Remove(filepath.Join(path, markerFile))
	if !ownedIndex(path) {
		t.Fatal("an older exlog index is not recognised")
	}
	build(t, dir, sampleEvents(5))
}

// Leftovers of killed runs are removed by the next build; those of
// running processes and folders without the marker are not.
func TestLeftoversCleaned(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "b.exlog")
	dead := deadPID(t)
	mk := func(name string, marker bool) string {
		p := filepath.Join(dir, name)
		os.Mkdir(p, 0o755)
		if marker {
			writeMarker(p)
		}
		return p
	}
	deadBuild := mk(".b.exlog.building-"+strconv.Itoa(dead)+"-123", true)
	deadOld := mk("b.exlog.old-"+strconv.Itoa(dead), true)
	liveBuild := mk(".b.exlog.building-"+strconv.Itoa(os.Getppid())+"-9", true)
	foreign := mk("b.exlog.old-"+strconv.Itoa(dead+1), false)
	otherIndex := mk(".c.exlog.building-"+strconv.Itoa(dead)+"-1", true)
	build(t, dir, sampleEvents(5))
	for p, want := range map[string]bool{deadBuild: false, deadOld: false, liveBuild: true, foreign: true, otherIndex: true, path: true} {
		_, err := os.Stat(p)
		if (err == nil) != want {
			t.Errorf("%s exists=%v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// deadPID returns the ID of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run a process: %v", err)
	}
	return cmd.Process.Pid
}

// A cancelled context (SIGINT, SIGTERM) discards the index being built:
// Close returns the context's error and nothing is left.
func TestCancelRemovesTemporary(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := CreateContext(ctx, filepath.Join(dir, "x.exlog"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sampleEvents(5000) {
		w.Add(e)
	}
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("close after cancel: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %v", ents)
	}
}

func TestSafePath(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "case")
	os.MkdirAll(filepath.Join(bundle, "NODE1"), 0o755)
	zip := filepath.Join(dir, "case2.zip")
	os.WriteFile(zip, []byte("PK"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(bundle, link)

	inside := filepath.Join(bundle, "case.exlog")
	if _, err := SafePath([]string{bundle}, inside, true); !errors.Is(err, ErrInsideBundle) {
		t.Fatalf("explicit index inside the bundle: %v", err)
	}
	if _, err := SafePath([]string{bundle}, filepath.Join(link, "NODE1", "x.exlog"), true); !errors.Is(err, ErrInsideBundle) {
		t.Fatalf("index inside the bundle through a link: %v", err)
	}
	got, err := SafePath([]string{bundle}, inside, false)
	if err != nil || got != filepath.Join(dir, "case.exlog") {
		t.Fatalf("default index inside the bundle moved to %q (%v), want beside it", got, err)
	}
	for _, p := range []string{filepath.Join(dir, "case.exlog"), filepath.Join(dir, "case-other", "x.exlog")} {
		if got, err := SafePath([]string{bundle, zip}, p, true); err != nil || got != p {
			t.Fatalf("%s: %q %v, want unchanged", p, got, err)
		}
	}
	if got, err := SafePath([]string{zip}, filepath.Join(dir, "case2.exlog"), false); err != nil || got != filepath.Join(dir, "case2.exlog") {
		t.Fatalf("beside an archive: %q %v", got, err)
	}
	// Nested bundles: the index leaves both.
	got, err = SafePath([]string{bundle, filepath.Join(bundle, "NODE1")}, filepath.Join(bundle, "NODE1", "n.exlog"), false)
	if err != nil || got != filepath.Join(dir, "n.exlog") {
		t.Fatalf("nested: %q %v", got, err)
	}
}

// Events rebuilds every stored event whole, Fields included.
func TestEventsLossless(t *testing.T) {
	dir := t.TempDir()
	evs := sampleEvents(3000)
	evs[5].SetField("data.Weird=Name", "Value With Case")
	evs[6].Time = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) // kept though bleve cannot index it
	evs[7].Record, evs[7].Offset, evs[7].Run, evs[7].Kind = 1<<63+5, 123456789, 3, "setup-run"
	evs[8].Time = time.Time{}
	path := build(t, dir, evs)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[string]*parse.Event{}
	for _, e := range evs {
		want[e.ID()] = e
	}
	n := 0
	err = r.Events(context.Background(), func(e *parse.Event) error {
		n++
		w := want[e.ID()]
		if w == nil {
			return fmt.Errorf("unknown event %s", e.ID())
		}
		if fmt.Sprintf("%#v", *e) != fmt.Sprintf("%#v", *w) {
			return fmt.Errorf("event %s:\n got %#v\nwant %#v", e.ID(), *e, *w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(evs) {
		t.Fatalf("%d events, want %d", n, len(evs))
	}
	stop := errors.New("stop")
	if err := r.Events(context.Background(), func(*parse.Event) error { return stop }); err != stop {
		t.Fatalf("fn's error not returned: %v", err)
	}
}
