// platform_test.cc — crash-safe files and the SQLite layer.
#include <sys/stat.h>

#include <filesystem>

#include "files.h"
#include "sqlite.h"
#include "testing/test_util.h"

namespace yesno {
namespace {

std::string TempDir(const char* name) {
  const std::string dir = ::testing::TempDir() + "/yesno_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(FilesTest, AtomicWriteReplacesWithMode0600AndLeavesNoTemporaries) {
  const std::string dir = TempDir("files");
  ASSERT_TRUE(files::MakePrivateDir(dir).ok());
  struct stat st {};
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string path = dir + "/secret";
  ASSERT_TRUE(files::WriteFileAtomic(path, ToBytes("one")).ok());
  ASSERT_TRUE(files::WriteFileAtomic(path, ToBytes("two!")).ok());
  EXPECT_EQ(AsString(*files::ReadFile(path)), "two!");
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  EXPECT_FALSE(files::ReadFile(path, 3).ok());  // over the size cap
  EXPECT_FALSE(files::ReadFile(dir + "/missing").ok());
  std::filesystem::remove_all(dir);
}

TEST(FilesTest, MakePrivateDirRefusesAnOpenDirectory) {
  const std::string dir = TempDir("opendir");
  std::filesystem::create_directories(dir);
  chmod(dir.c_str(), 0755);
  EXPECT_FALSE(files::MakePrivateDir(dir).ok());
  std::filesystem::remove_all(dir);
}

TEST(SqliteTest, InsertOrIgnoreReportsFirstInsertOnly) {
  const std::string dir = TempDir("sqlite");
  std::filesystem::create_directories(dir);
  auto db = sql::Db::Open(dir + "/t.db");
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (k BLOB PRIMARY KEY, v INTEGER NOT NULL)").ok());
  auto ins = (*db)->Prepare("INSERT OR IGNORE INTO t (k, v) VALUES (?1, ?2)");
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE(ins->Bind(1, ToBytes("key")).Bind(2, int64_t{7}).Run().ok());
  EXPECT_EQ((*db)->Changes(), 1);
  ins->Reset();
  ASSERT_TRUE(ins->Bind(1, ToBytes("key")).Bind(2, int64_t{8}).Run().ok());
  EXPECT_EQ((*db)->Changes(), 0);
  auto sel = (*db)->Prepare("SELECT v FROM t WHERE k = ?1");
  ASSERT_TRUE(sel.ok());
  sel->Bind(1, ToBytes("key"));
  ASSERT_TRUE(*sel->Step());
  EXPECT_EQ(sel->Int(0), 7);
  EXPECT_FALSE((*db)->Prepare("SELEKT nonsense").ok());
  struct stat st {};
  ASSERT_EQ(stat((dir + "/t.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace yesno
