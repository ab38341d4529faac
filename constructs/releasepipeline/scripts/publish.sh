#!/usr/bin/env bash
# Publishes each frontend build to its bucket and invalidates its
# distribution. Hashed assets are cached for a year; every other file
# (index.html first of all) must be revalidated. Old files stay: a browser
# holding yesterday's index.html still finds yesterday's assets.
#
# Input (environment): FRONTENDS, one app per line: "buildDir assetsPrefix
# bucket distributionId" (assetsPrefix as "assets/", no leading slash).
set -euo pipefail
while read -r dir assets bucket distribution; do
	[ -n "$dir" ] || continue
	if [ ! -f "$dir/index.html" ]; then
		echo "$dir/index.html is missing: the frontend build did not produce $dir" >&2
		exit 1
	fi
	aws s3 sync "$dir" "s3://$bucket" --exclude "*" --include "$assets*" --cache-control "public,max-age=31536000,immutable"
	aws s3 sync "$dir" "s3://$bucket" --exclude "$assets*" --cache-control "no-cache"
	aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" --query Invalidation.Id --output text
	echo "published $dir to s3://$bucket"
done <<<"${FRONTENDS:-}"
