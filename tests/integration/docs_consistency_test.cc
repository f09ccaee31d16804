// docs_consistency_test.cc — issue 14: the README points at the shipped nginx
// config (which includes the gate and keeps /yesno/auth and /yesno/metrics
// private) instead of a snippet of its own, and one set of example ports is
// used everywhere without a clash: the site's nginx 8080, yesno-verifier 8081
// (its default), yesno-issuer 8082 (its default).
#include <filesystem>

#include "testing/process.h"
#include "verifier_testing.h"

#if defined(YESNO_VERIFIER_PATH) && defined(YESNO_ISSUER_PATH)

namespace yesno::testing {
namespace {

std::filesystem::path Source() {
  // YESNO_VECTOR_DIR is <source>/tests/vectors/data.
  return std::filesystem::path(YESNO_VECTOR_DIR).parent_path().parent_path().parent_path();
}

TEST(DocsConsistencyTest, ReadmePointsAtTheShippedNginxConfig) {
  const std::string readme = ReadText((Source() / "README.md").string());
  const std::string conf = ReadText((Source() / "deploy/nginx/yesno.conf").string());
  ASSERT_FALSE(readme.empty());
  ASSERT_FALSE(conf.empty());
  EXPECT_NE(readme.find("deploy/nginx/yesno.conf"), std::string::npos);
  EXPECT_EQ(readme.find("X-Yesno-Claim"), std::string::npos) << "the verifier no longer reads it";
  EXPECT_EQ(readme.find("```nginx"), std::string::npos) << "no second nginx config to drift from the shipped one";
  // The shipped config: the gate, /auth/<claim> from nginx only, private routes hidden.
  EXPECT_NE(conf.find("return 302 /yesno/gate?claim=age_over_18&return=$request_uri;"), std::string::npos);
  EXPECT_NE(conf.find("proxy_pass http://yesno_verifier/auth/age_over_18;"), std::string::npos);
  EXPECT_NE(conf.find("location /yesno/auth      { return 404; }"), std::string::npos);
  EXPECT_NE(conf.find("location = /yesno/metrics { return 404; }"), std::string::npos);
  EXPECT_EQ(conf.find("X-Yesno-Claim"), std::string::npos);
}

TEST(DocsConsistencyTest, OneSetOfExamplePortsWithoutAClash) {
  const std::string conf = ReadText((Source() / "deploy/nginx/yesno.conf").string());
  EXPECT_NE(conf.find("listen 127.0.0.1:8080;"), std::string::npos);
  EXPECT_NE(conf.find("server 127.0.0.1:8081;"), std::string::npos);
  auto verifier = RunProcess({YESNO_VERIFIER_PATH, "serve", "--help"});
  auto issuer = RunProcess({YESNO_ISSUER_PATH, "serve", "--help"});
  EXPECT_NE(verifier.out.find("127.0.0.1:8081"), std::string::npos) << verifier.out;
  EXPECT_NE(issuer.out.find("127.0.0.1:8082"), std::string::npos) << issuer.out;
  EXPECT_EQ(issuer.out.find("127.0.0.1:8080"), std::string::npos) << "the issuer's default is nginx's port";
  // Every example address in the docs uses those roles.
  for (const char* doc : {"README.md", "docs/operations.md", "docs/api.md", "deploy/nginx/yesno.conf"}) {
    const std::string text = ReadText((Source() / doc).string());
    SCOPED_TRACE(doc);
    EXPECT_EQ(text.find("9090"), std::string::npos);
    EXPECT_EQ(text.find("yesno-issuer serve  --state DIR --listen 127.0.0.1:8080"), std::string::npos);
    for (std::size_t pos = text.find("yesno-verifier serve"); pos != std::string::npos;
         pos = text.find("yesno-verifier serve", pos + 1)) {
      const std::string line = text.substr(pos, text.find("\n\n", pos) - pos);
      const auto listen = line.find("--listen 127.0.0.1:");
      if (listen != std::string::npos) {
        EXPECT_EQ(line.substr(listen + 19, 4), "8081") << line;
      }
    }
    for (std::size_t pos = text.find("yesno-issuer serve"); pos != std::string::npos;
         pos = text.find("yesno-issuer serve", pos + 1)) {
      const std::string line = text.substr(pos, text.find('\n', pos) - pos);
      const auto listen = line.find("--listen 127.0.0.1:");
      if (listen != std::string::npos) {
        EXPECT_EQ(line.substr(listen + 19, 4), "8082") << line;
      }
    }
  }
}

}  // namespace
}  // namespace yesno::testing

#endif
