/*
 * check_kube_yaml.c - YAML -> json-c conversion: typing, multi-document
 * streams, anchors, and the bad-input rows (depth, alias bombs, syntax).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "kube_yaml.h"

struct conv_case {
	const char *yaml;
	int ndocs;		/* expected return (negative: error code) */
	const char *json;	/* first document, compact, or NULL */
	const char *errpart;	/* substring of the message on error */
};

static const struct conv_case conv_cases[] = {
	{ "a: 1\nb: \"1\"\nc: true\nd: 'false'\ne: ~\nf: 1.5\ng: x\n", 1,
	  "{\"a\":1,\"b\":\"1\",\"c\":true,\"d\":\"false\",\"e\":null,"
	  "\"f\":1.5,\"g\":\"x\"}", NULL },
	{ "---\na: 1\n---\n---\nb: [1, two]\n", 2, "{\"a\":1}", NULL },
	{ "{\"kind\": \"List\", \"items\": []}", 1,
	  "{\"kind\":\"List\",\"items\":[]}", NULL },
	{ "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n", 1,
	  "{\"base\":{\"x\":1},\"use\":{\"x\":1,\"y\":2}}", NULL },
	{ "port: 0x1F\nver: 1.32\nname: 08080\n", 1,
	  "{\"port\":31,\"ver\":1.32,\"name\":\"08080\"}", NULL },
	{ "", 0, NULL, NULL },
	/* bad input */
	{ "a: [1, 2\n", CILKIT_EINVAL, NULL, "t.yaml:" },
	{ "a: *nope\n", CILKIT_EINVAL, NULL, "unknown anchor" },
	{ "? [a]\n: 1\n", CILKIT_EINVAL, NULL, "not a scalar" },
	/* self-references would be reference cycles */
	{ "u: &a\n n: *a\n", CILKIT_EINVAL, NULL, "unknown anchor" },
	{ "u: &a [1, *a]\n", CILKIT_EINVAL, NULL, "unknown anchor" },
};

START_TEST(test_convert)
{
	const struct conv_case *tc = &conv_cases[_i];
	struct json_object **docs = NULL;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int n;

	n = kube_yaml_parse(tc->yaml, strlen(tc->yaml), "t.yaml", &docs, eb,
	    sizeof(eb));
	ck_assert_int_eq(n, tc->ndocs);
	if (n > 0 && tc->json != NULL)
		ck_assert_str_eq(json_object_to_json_string_ext(docs[0],
		    JSON_C_TO_STRING_PLAIN), tc->json);
	if (n < 0)
		ck_assert_ptr_nonnull(strstr(eb, tc->errpart));
	kube_yaml_free_docs(docs, n > 0 ? n : 0);
}
END_TEST

/* 70 nested sequences: over the depth cap, refused with a message. */
START_TEST(test_depth_cap)
{
	char buf[256];
	struct json_object **docs;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int i, n;

	for (i = 0; i < 70; i++)
		buf[i] = '[';
	for (i = 0; i < 70; i++)
		buf[70 + i] = ']';
	buf[140] = '\0';
	n = kube_yaml_parse(buf, 140, "deep", &docs, eb, sizeof(eb));
	ck_assert_int_eq(n, CILKIT_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(eb, "deep:1:"));
}
END_TEST

/* The "billion laughs" shape: each level aliases the previous ten times. */
START_TEST(test_alias_bomb)
{
	char buf[4096];
	struct json_object **docs;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	size_t off = 0;
	int i, j, n;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "a0: &a0 [x]\n");
	for (i = 1; i < 9; i++) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "a%d: &a%d [", i, i);
		for (j = 0; j < 10; j++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s*a%d", j ? "," : "", i - 1);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "]\n");
	}
	n = kube_yaml_parse(buf, off, "bomb", &docs, eb, sizeof(eb));
	ck_assert_int_eq(n, CILKIT_ETOOBIG);
}
END_TEST

static Suite *
kube_yaml_suite(void)
{
	Suite *s = suite_create("kube_yaml");
	TCase *tc = tcase_create("convert");

	tcase_add_loop_test(tc, test_convert, 0,
	    sizeof(conv_cases) / sizeof(conv_cases[0]));
	tcase_add_test(tc, test_depth_cap);
	tcase_add_test(tc, test_alias_bomb);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kube_yaml_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
