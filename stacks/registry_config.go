package stacks

// RegistryConfig configures the ECR repository.
type RegistryConfig struct {
	// KeepReleases is how many released images (tagged release-* by the
	// release once the services run them) are kept, the newest by push.
	KeepReleases int `json:"keepReleases"`
	// UnreleasedDays after its push a build never released expires.
	UnreleasedDays int `json:"unreleasedDays"`
	// UntaggedDays after which untagged images expire.
	UntaggedDays int `json:"untaggedDays"`
}

// MinUnreleasedDays is the least registry.unreleasedDays: a pipeline's
// manual approval waits up to 7 days, and the build must outlive it.
const MinUnreleasedDays = 8

func (r *RegistryConfig) validate(v *validator) {
	v.within("registry.keepReleases", r.KeepReleases, 2, 1000, "at least the running release and the one before it")
	v.within("registry.unreleasedDays", r.UnreleasedDays, MinUnreleasedDays, 365, "longer than a manual approval can wait, so that an approved build is still there")
	v.within("registry.untaggedDays", r.UntaggedDays, 1, 365, "days")
}
