// SPDX-License-Identifier: Apache-2.0

package testnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"
)

// The container tests run the fault scenarios on real containers of the
// traceledger image (FROM scratch, built once per test run by
// scripts/image.sh) on a private Docker network of their own, and check the
// root docker-compose.yml. They need a usable Docker engine and run only when
// TRACELEDGER_DOCKER_TESTS=1 (.ci/run sets it when `docker info` works);
// elsewhere they skip and say so. Every container, network and volume
// carries the label traceledger.test=<project> and is removed when the test
// ends.

// DockerEnv enables the container tests.
const DockerEnv = "TRACELEDGER_DOCKER_TESTS"

func requireDocker(t *testing.T) {
	t.Helper()
	if os.Getenv(DockerEnv) != "1" {
		t.Skipf("container test skipped: set %s=1 on a machine with Docker to run it (.ci/run does when `docker info` works)", DockerEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Fatalf("%s=1 but Docker is not usable: %v\n%s", DockerEnv, err, out)
	}
}

// docker runs the docker CLI and returns its trimmed standard output.
func docker(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

var (
	imageOnce sync.Once
	imageTag  string
	imageErr  error
)

// testImage builds the FROM-scratch image once per test run with
// scripts/image.sh (IMAGE_MODE=scratch: the local toolchain compiles the
// static binary, nothing is pulled). TestMain removes it.
func testImage(t *testing.T) string {
	t.Helper()
	imageOnce.Do(func() {
		tag := fmt.Sprintf("traceledger-test:%d-%s", os.Getpid(), randHex(3))
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "../scripts/image.sh")
		cmd.Env = append(os.Environ(), "IMAGE="+tag, "IMAGE_MODE=scratch")
		out, err := cmd.CombinedOutput()
		if err != nil {
			imageErr = fmt.Errorf("scripts/image.sh: %w\n%s", err, out)
			return
		}
		imageTag = tag
		fmt.Fprintf(os.Stderr, "testnet: built image %s in %s\n", tag, time.Since(start).Round(time.Millisecond))
	})
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return imageTag
}

func removeTestImage() {
	if imageTag == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	docker(ctx, "rmi", "-f", imageTag)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// dockerNet is a user-defined bridge network with a subnet of our choosing,
// so that containers can keep fixed addresses across disconnect/connect
// (CometBFT resolves peer hostnames once, at start).
type dockerNet struct {
	name   string
	prefix string // "10.213.7." : node i gets prefix+(10+i)
}

func createNetwork(ctx context.Context, t *testing.T, name, label string) dockerNet {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		b := make([]byte, 2)
		rand.Read(b)
		prefix := fmt.Sprintf("10.%d.%d.", 200+int(b[0])%50, b[1])
		_, err := docker(ctx, "network", "create", "--driver", "bridge", "--subnet", prefix+"0/24",
			"--label", "traceledger.test="+label, name)
		if err == nil {
			// newDockerCluster's cleanup removes it after the containers.
			return dockerNet{name: name, prefix: prefix}
		}
		lastErr = err
	}
	t.Fatalf("create network %s: %v", name, lastErr)
	return dockerNet{}
}

// dockerCluster runs a docker-plan network as containers, one per node,
// each with its own volume holding its home.
type dockerCluster struct {
	t       *testing.T
	nw      *Network
	image   string
	project string
	main    dockerNet // where every node lives
	side    dockerNet // where a partitioned group goes

	mu      sync.Mutex
	current map[string]string // node -> RPC URL reachable from here now
}

func (d *dockerCluster) kind() string               { return "containers" }
func (d *dockerCluster) network() *Network          { return d.nw }
func (d *dockerCluster) genesis() *types.GenesisDoc { return d.nw.Genesis }
func (d *dockerCluster) container(name string) string {
	return d.project + "-" + name
}
func (d *dockerCluster) volume(name string) string { return d.project + "-" + name }

func (d *dockerCluster) index(name string) int {
	for i, n := range d.nw.Nodes {
		if n.Name == name {
			return i
		}
	}
	d.t.Fatalf("no node %q", name)
	return -1
}

func (d *dockerCluster) ip(n dockerNet, name string) string {
	return n.prefix + strconv.Itoa(10+d.index(name))
}

func (d *dockerCluster) nodes() []NodeInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]NodeInfo, len(d.nw.Nodes))
	for i, n := range d.nw.Nodes {
		n.RPCURL = d.current[n.Name]
		out[i] = n
	}
	return out
}

func (d *dockerCluster) setURL(name string, n dockerNet) {
	d.mu.Lock()
	d.current[name] = "http://" + d.ip(n, name) + ":26657"
	d.mu.Unlock()
}

func (d *dockerCluster) each(ctx context.Context, names []string, f func(string) error) error {
	var errs []string
	for _, n := range names {
		if err := f(n); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (d *dockerCluster) start(ctx context.Context, names ...string) error {
	return d.each(ctx, names, func(n string) error {
		_, err := docker(ctx, "start", d.container(n))
		return err
	})
}

func (d *dockerCluster) stop(ctx context.Context, names ...string) error {
	return d.each(ctx, names, func(n string) error {
		_, err := docker(ctx, "stop", "-t", "15", d.container(n))
		return err
	})
}

func (d *dockerCluster) kill(ctx context.Context, names ...string) error {
	return d.each(ctx, names, func(n string) error {
		_, err := docker(ctx, "kill", "-s", "KILL", d.container(n))
		return err
	})
}

func (d *dockerCluster) resetData(ctx context.Context, name string) error {
	home := "/net/" + name
	_, err := docker(ctx, "run", "--rm", "--network", "none", "--label", "traceledger.test="+d.project,
		"-v", d.volume(name)+":"+home, d.image, "node", "reset-data", "--home", home)
	return err
}

func (d *dockerCluster) logs(name string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "logs", d.container(name)).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("docker logs %s: %w", d.container(name), err)
	}
	return out, nil
}

// partition moves group to the side network: its members reach each other
// but not the rest.
func (d *dockerCluster) partition(ctx context.Context, group ...string) error {
	return d.each(ctx, group, func(n string) error {
		if _, err := docker(ctx, "network", "disconnect", d.main.name, d.container(n)); err != nil {
			return err
		}
		if _, err := docker(ctx, "network", "connect", "--ip", d.ip(d.side, n), "--alias", n, d.side.name, d.container(n)); err != nil {
			return err
		}
		d.setURL(n, d.side)
		return nil
	})
}

// heal brings group back to the main network at its old addresses.
func (d *dockerCluster) heal(ctx context.Context, group ...string) error {
	return d.each(ctx, group, func(n string) error {
		if _, err := docker(ctx, "network", "disconnect", d.side.name, d.container(n)); err != nil {
			return err
		}
		if _, err := docker(ctx, "network", "connect", "--ip", d.ip(d.main, n), "--alias", n, d.main.name, d.container(n)); err != nil {
			return err
		}
		d.setURL(n, d.main)
		return nil
	})
}

// create makes the volume and the container of node name (not started),
// with the node's home copied into the volume.
func (d *dockerCluster) create(ctx context.Context, name string) error {
	home := "/net/" + name
	label := "traceledger.test=" + d.project
	if _, err := docker(ctx, "volume", "create", "--label", label, d.volume(name)); err != nil {
		return err
	}
	if _, err := docker(ctx, "create", "--name", d.container(name), "--label", label,
		"--hostname", name, "--network", d.main.name, "--ip", d.ip(d.main, name), "--network-alias", name,
		"-v", d.volume(name)+":"+home, d.image, "start", "--home", home); err != nil {
		return err
	}
	if _, err := docker(ctx, "cp", filepath.Join(d.nw.Dir, name)+"/.", d.container(name)+":"+home); err != nil {
		return err
	}
	d.setURL(name, d.main)
	return nil
}

// newDockerCluster initialises a docker-plan network of the four
// departments, creates one volume and one container per node on a private
// network, copies each home into its volume and starts the containers.
// Everything is removed when the test ends.
func newDockerCluster(t *testing.T, enterprises ...string) *dockerCluster {
	t.Helper()
	image := testImage(t)
	project := "tltest-" + randHex(4)
	nw, err := Init(t.TempDir(), Options{
		ChainID: "tl-docker", Departments: []string{"agri", "livestock", "market", "drug"},
		Hosts: HostsDocker, TimeoutCommit: 300 * time.Millisecond, Enterprises: enterprises,
		Configure: testConfigure, KeyringOptions: fastKDF,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := &dockerCluster{t: t, nw: nw, image: image, project: project, current: map[string]string{}}
	label := "traceledger.test=" + project
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, d)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if ids, _ := docker(cctx, "ps", "-aq", "--filter", "label="+label); ids != "" {
			docker(cctx, append([]string{"rm", "-f", "-v"}, strings.Fields(ids)...)...)
		}
		if vols, _ := docker(cctx, "volume", "ls", "-q", "--filter", "label="+label); vols != "" {
			if _, err := docker(cctx, append([]string{"volume", "rm", "-f"}, strings.Fields(vols)...)...); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		if nets, _ := docker(cctx, "network", "ls", "-q", "--filter", "label="+label); nets != "" {
			if _, err := docker(cctx, append([]string{"network", "rm"}, strings.Fields(nets)...)...); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	d.main = createNetwork(ctx, t, project, project)
	d.side = createNetwork(ctx, t, project+"-side", project)
	for _, n := range nw.Nodes {
		if err := d.create(ctx, n.Name); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, n := range nw.Nodes {
		names = append(names, n.Name)
	}
	if err := d.start(ctx, names...); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := WaitHeight(ctx, d.nodes(), 2); err != nil {
		t.Fatalf("containers made no blocks: %v", err)
	}
	t.Logf("%d containers on network %s committed height 2 %s after start", len(names), d.main.name, time.Since(start).Round(10*time.Millisecond))
	return d
}

func dockerCtx(t *testing.T, d time.Duration) context.Context {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestDockerKillOneUnderLoad(t *testing.T) {
	ctx := dockerCtx(t, 4*time.Minute)
	scenarioKillOneUnderLoad(ctx, t, newDockerCluster(t, "load1", "load2"))
}

func TestDockerStopTwo(t *testing.T) {
	ctx := dockerCtx(t, 4*time.Minute)
	scenarioStopTwo(ctx, t, newDockerCluster(t))
}

func TestDockerKill9HeavyWrites(t *testing.T) {
	ctx := dockerCtx(t, 5*time.Minute)
	scenarioKill9HeavyWrites(ctx, t, newDockerCluster(t, "load1", "load2", "load3"), 3)
}

func TestDockerRollingRestart(t *testing.T) {
	ctx := dockerCtx(t, 5*time.Minute)
	scenarioRollingRestart(ctx, t, newDockerCluster(t, "load1", "load2", "load3"))
}

func TestDockerDeletedDataRejoins(t *testing.T) {
	ctx := dockerCtx(t, 4*time.Minute)
	scenarioDeletedData(ctx, t, newDockerCluster(t, "load1"))
}

// TestDockerPartition splits the four validators 2|2 by moving two
// containers to another Docker network: neither half has more than 2/3 of
// the power, so no block commits and nothing forks; healed, the network
// moves on with one app hash.
func TestDockerPartition(t *testing.T) {
	ctx := dockerCtx(t, 4*time.Minute)
	c := newDockerCluster(t, "load1")
	stop := traffic(t, c, 5, 50*time.Millisecond, "load1")
	settle(ctx, t, c, 2*time.Second)
	res := stop()
	if len(res.Committed) == 0 {
		t.Fatal("no transaction confirmed before the partition")
	}
	if err := c.partition(ctx, vMarket, vDrug); err != nil {
		t.Fatal(err)
	}
	all := c.nodes()
	h0 := maxOf(heights(ctx, all))
	settle(ctx, t, c, 6*time.Second)
	hs := heights(ctx, all)
	if minOf(hs) < 0 {
		t.Fatalf("a partitioned node does not answer: heights %v", hs)
	}
	if maxOf(hs) > h0+1 {
		t.Fatalf("a half of a 2|2 partition made progress: height %d -> %v", h0, hs)
	}
	t.Logf("partition 2|2: heights %v for 6 s (was %d)", hs, h0)
	if _, err := Agreement(ctx, all, minOf(hs)-1); err != nil {
		t.Fatalf("partition: %v", err)
	}
	healed := time.Now()
	if err := c.heal(ctx, vMarket, vDrug); err != nil {
		t.Fatal(err)
	}
	all = c.nodes()
	if _, err := WaitHeight(ctx, all, maxOf(hs)+2); err != nil {
		t.Fatalf("no progress after healing: %v", err)
	}
	recovery(t, c, "partition 2|2 healed: all four +2 blocks", time.Since(healed), "time after reconnecting")
	hash := checkAgreement(ctx, t, all)
	t.Logf("after healing all four agree, app hash %X", hash)
	if _, err := VerifyTraffic(ctx, c.genesis(), all[3].RPCURL, res); err != nil {
		t.Fatal(err)
	}
}

// TestDockerJoin adds a new department's container to a running network:
// it block-syncs from its peers, follows without voting, and becomes a
// validator when the departments pass the proposal admitting it.
func TestDockerJoin(t *testing.T) {
	ctx := dockerCtx(t, 4*time.Minute)
	c := newDockerCluster(t, "load1")
	stop := traffic(t, c, 10, 20*time.Millisecond, "load1")
	defer stop()
	settle(ctx, t, c, 3*time.Second)
	info, err := AddNode(c.nw, "commerce", fastKDF...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.create(ctx, info.Name); err != nil {
		t.Fatal(err)
	}
	if err := c.start(ctx, info.Name); err != nil {
		t.Fatal(err)
	}
	joined := pick(c, info.Name)[0]
	validators := pick(c, vAgri, vLivestock, vMarket, vDrug)
	d, h := waitCaughtUp(ctx, t, joined, validators)
	recovery(t, c, "join: new node block-synced a running network", d, fmt.Sprintf("to height %d", h))
	verifyTraffic(ctx, t, c, stop, joined)
	if st := QueryStatus(ctx, joined.Name, joined.RPCURL); st.VotingPower != 0 {
		t.Fatalf("joined node has voting power %d without a governance decision", st.VotingPower)
	}
	start := time.Now()
	id, err := Promote(ctx, c.nw, info.Name, 10, validators[0].RPCURL, fastKDF...)
	if err != nil {
		t.Fatal(err)
	}
	recovery(t, c, "join: proposal passed, new department in the validator set", time.Since(start), fmt.Sprintf("proposal %d", id))
	if err := waitSigned(ctx, joined); err != nil {
		t.Fatal(err)
	}
	checkAgreement(ctx, t, c.nodes())
}

// TestDockerCompose brings up the root docker-compose.yml with the test
// image under a project name of its own: the init service writes the homes
// into the volumes, the four validators and the observer start, commit
// blocks within a minute and report healthy; the API server in front of
// the observer answers /readyz and a /v1/status whose evidence checks
// against the network's genesis from the host; `down -v` removes it all.
func TestDockerCompose(t *testing.T) {
	ctx := dockerCtx(t, 4*time.Minute)
	image := testImage(t)
	compose, err := composeCommand(ctx)
	if err != nil {
		t.Skipf("compose test skipped: %v (.ci/run installs docker-compose where it can)", err)
	}
	project := "tlcompose" + randHex(4)
	port, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	apiPort, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	run := func(ctx context.Context, args ...string) (string, error) {
		full := append(append(compose[1:len(compose):len(compose)], "-p", project, "-f", "../docker-compose.yml"), args...)
		cmd := exec.CommandContext(ctx, compose[0], full...)
		cmd.Env = append(os.Environ(), "TRACELEDGER_IMAGE="+image, "TRACELEDGER_RPC_PORT="+strconv.Itoa(port), "TRACELEDGER_API_PORT="+strconv.Itoa(apiPort))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s %s: %w\n%s", compose[0], strings.Join(full, " "), err, out)
		}
		return string(out), nil
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			out, _ := run(cctx, "logs", "--tail", "40")
			t.Logf("compose logs:\n%s", out)
		}
		if _, err := run(cctx, "down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if _, err := run(ctx, "config", "-q"); err != nil {
		t.Fatalf("the compose file is invalid for %s: %v", compose[0], err)
	}
	start := time.Now()
	if _, err := run(ctx, "up", "-d"); err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := WaitHeight(wctx, []NodeInfo{{Name: "observer1", RPCURL: url}}, 3); err != nil {
		t.Fatalf("compose network: no block 3 on the published observer within a minute of `up -d`: %v", err)
	}
	t.Logf("docker compose (%s): up -d to height 3 on the observer's published RPC in %s", compose[0], time.Since(start).Round(10*time.Millisecond))
	// Block 3 needs only 3 of the 4 validators, so the observer may still be
	// dialing its fourth peer: wait for it (bounded) before judging.
	st := QueryStatus(ctx, "observer1", url)
	for deadline := time.Now().Add(30 * time.Second); st.Peers < 4 && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		st = QueryStatus(ctx, "observer1", url)
	}
	if st.VotingPower != 0 || st.Peers < 4 {
		t.Errorf("observer: voting power %d (want 0), %d peers (want 4) 30 s after block 3", st.VotingPower, st.Peers)
	}
	// Every service reports healthy through the image's own healthcheck.
	for _, svc := range []string{"agri", "livestock", "market", "drug", "observer1"} {
		id, err := run(ctx, "ps", "-q", svc)
		if err != nil {
			t.Fatal(err)
		}
		id = strings.TrimSpace(id)
		for {
			h, err := docker(ctx, "inspect", "--format", "{{.State.Health.Status}}", id)
			if err != nil {
				t.Fatal(err)
			}
			if h == "healthy" {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s is %s", svc, h)
			}
			time.Sleep(time.Second)
		}
	}
	t.Logf("all five services healthy %s after `up -d`", time.Since(start).Round(10*time.Millisecond))
	// The observer serves the public HTTP API (CometBFT's RPC).
	resp, err := http.Get(url + "/abci_info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /abci_info: %s", resp.Status)
	}
	// The HTTP API, published on the host's loopback, verifies what it
	// serves; its evidence checks here against the network's genesis (the
	// file the API server was given, copied out of the observer).
	obs, err := run(ctx, "ps", "-q", "observer1")
	if err != nil {
		t.Fatal(err)
	}
	genesisPath := filepath.Join(t.TempDir(), "genesis.json")
	if _, err := docker(ctx, "cp", strings.TrimSpace(obs)+":/testnet/genesis.json", genesisPath); err != nil {
		t.Fatal(err)
	}
	doc, err := types.GenesisDocFromFile(genesisPath)
	if err != nil {
		t.Fatal(err)
	}
	// The public-facing API container holds the trust root and no secret.
	apiID, err := run(ctx, "ps", "-q", "api")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docker(ctx, "cp", strings.TrimSpace(apiID)+":/trust/genesis.json", filepath.Join(t.TempDir(), "api-genesis.json")); err != nil {
		t.Errorf("the API container has no /trust/genesis.json: %v", err)
	}
	if _, err := docker(ctx, "cp", strings.TrimSpace(apiID)+":/testnet/passphrase", filepath.Join(t.TempDir(), "leaked")); err == nil {
		t.Errorf("the API container can read the network's passphrase")
	}
	apiURL := "http://127.0.0.1:" + strconv.Itoa(apiPort)
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	waitReady(actx, t, apiURL)
	r, err := httpDo(ctx, http.MethodGet, apiURL+"/v1/status", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := checkStatusAnswer(t, doc, r)
	t.Logf("API server ready, verified status at height %d, %s after `up -d`", h, time.Since(start).Round(10*time.Millisecond))
}

// composeCommand returns `docker compose` if the plugin works, else
// `docker-compose`.
func composeCommand(ctx context.Context) ([]string, error) {
	if err := exec.CommandContext(ctx, "docker", "compose", "version").Run(); err == nil {
		return []string{"docker", "compose"}, nil
	}
	if p, err := exec.LookPath("docker-compose"); err == nil {
		return []string{p}, nil
	}
	return nil, fmt.Errorf("neither `docker compose` nor `docker-compose` is installed")
}
