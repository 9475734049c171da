// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The provider table is data that plan.c, loop.c and the Lua dispatcher
 * trust: a typo in it would show up only when a hook is first used.
 */
#include <string.h>
#include "plan.h"
#include "providers.h"
#include "harness.h"

void test_providers_programs_exist(void)
{
	char why[128] = "";

	ASSERT_OK(pr_plan_check_table(why, sizeof(why)), why);
}

/* Record types pick the provider: each is one provider's, and so is each
 * view; the lookups find each provider by both. */
void test_providers_unique(void)
{
	int i, j;

	for (i = 0; i < PR_SRC_MAX; i++) {
		const struct pr_provider *p = &pr_providers[i];

		ASSERT_TRUE(p->name && p->what && p->hint && p->take, "descriptor complete");
		ASSERT_TRUE(p->min_size >= sizeof(struct pr_hdr), "a record holds its header");
		ASSERT_EQ(pr_provider_by_record(p->record), p, "found by record type");
		ASSERT_EQ(pr_provider_by_view(p->view), p, "found by view type");
		ASSERT_EQ(pr_provider_source(p), i, "index is the source");
		for (j = 0; j < i; j++) {
			ASSERT_TRUE(strcmp(p->name, pr_providers[j].name), "names differ");
			ASSERT_TRUE(!p->hook || !pr_providers[j].hook ||
					    strcmp(p->hook, pr_providers[j].hook),
				    "hooks differ");
		}
	}
	ASSERT_NULL(pr_provider_by_record(0), "type 0 is nobody's");
	ASSERT_NULL(pr_provider_by_view(0xffff), "an unknown view is nobody's");
}
