// SPDX-License-Identifier: Apache-2.0

package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/viper"

	"github.com/traceledger/traceledger/app"
)

// DefaultSnapshotInterval is the state-sync snapshot interval a home gets
// when app.toml does not say: on by default, so that every validator and
// observer can serve a joining node (docs/SNAPSHOTS.md).
const DefaultSnapshotInterval = 1000

// AppConfig is the application's part of a home's configuration,
// <home>/config/app.toml (CometBFT's config.toml has no place for it).
type AppConfig struct {
	// SnapshotInterval takes a snapshot every so many heights; 0 turns
	// snapshots off.
	SnapshotInterval uint64 `mapstructure:"snapshot_interval"`
	// SnapshotKeepRecent is how many snapshots are kept (0: app's default, 2).
	SnapshotKeepRecent int `mapstructure:"snapshot_keep_recent"`
}

// DefaultAppConfig is the configuration of a new home.
func DefaultAppConfig() AppConfig {
	return AppConfig{SnapshotInterval: DefaultSnapshotInterval, SnapshotKeepRecent: app.DefaultSnapshotKeepRecent}
}

// AppConfigFile is <home>/config/app.toml.
func AppConfigFile(home string) string { return filepath.Join(home, "config", "app.toml") }

// WriteAppConfig writes <home>/config/app.toml.
func WriteAppConfig(home string, c AppConfig) error {
	text := fmt.Sprintf(`# TraceLedger application configuration (docs/SNAPSHOTS.md).

# A state-sync snapshot of the application state is taken every
# snapshot_interval heights (0: never) and the newest snapshot_keep_recent
# are kept under data/app.snapshots, served to nodes that join by state sync.
snapshot_interval = %d
snapshot_keep_recent = %d
`, c.SnapshotInterval, c.SnapshotKeepRecent)
	if err := os.MkdirAll(filepath.Dir(AppConfigFile(home)), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(AppConfigFile(home)), err)
	}
	if err := os.WriteFile(AppConfigFile(home), []byte(text), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", AppConfigFile(home), err)
	}
	return nil
}

// LoadAppConfig reads <home>/config/app.toml; a home without one (made
// before it existed) gets DefaultAppConfig.
func LoadAppConfig(home string) (AppConfig, error) {
	c := DefaultAppConfig()
	path := AppConfigFile(home)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return c, fmt.Errorf("read %s: %w", path, err)
	}
	if err := v.Unmarshal(&c); err != nil {
		return c, fmt.Errorf("parse %s: %w", path, err)
	}
	if c.SnapshotKeepRecent < 0 {
		return c, fmt.Errorf("%s: snapshot_keep_recent must not be negative, got %d", path, c.SnapshotKeepRecent)
	}
	return c, nil
}
