#include "testing/postgres_server.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "testing/child_process.h"
#include "testing/process.h"

namespace yesno::testing {
namespace {

std::string Bin(const char* name) { return std::string(kPostgresBinDir) + "/" + name; }

}  // namespace

std::string PostgresServer::MissingReason() {
  for (const char* b : {"initdb", "pg_ctl", "postgres", "psql", "pg_dump"}) {
    if (access(Bin(b).c_str(), X_OK) != 0) {
      return Bin(b) + " is missing: install postgresql-15 (scripts/bootstrap does)";
    }
  }
  if (geteuid() == 0) {
    if (getpwnam("postgres") == nullptr) return "no postgres system user (the postgresql-15 package creates it)";
    if (access("/usr/sbin/runuser", X_OK) != 0) return "/usr/sbin/runuser is missing";
  }
  return "";
}

PostgresServer::PostgresServer() {
  if (std::string why = MissingReason(); !why.empty()) {
    error_ = why;
    return;
  }
  as_postgres_ = geteuid() == 0;
  // Its own temp dir: a 0700 root-owned parent would block the postgres user.
  std::string templ = "/tmp/yesno_pg_XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = templ;
  data_ = dir_ + "/data";
  if (as_postgres_) {
    const passwd* pw = getpwnam("postgres");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      error_ = "cannot chown " + dir_ + " to postgres";
      return;
    }
  }
  chmod(dir_.c_str(), 0700);
  port_ = FreePort();
  // initdb is slow (seconds on a busy machine) and ctest runs every test in
  // its own process: initdb once into a template cluster shared by all runs
  // of this user, then copy it (a fresh cluster is about 40 MB).
  const std::string templ_dir = std::string("/tmp/yesno_pg15_template_") + std::to_string(geteuid());
  const std::string marker = templ_dir + "/yesno-template-ok";
  auto as_server_user = [&](std::vector<std::string> argv) {
    if (as_postgres_) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    return RunProcess(argv, "", std::chrono::seconds(90));
  };
  {
    const int lock = open((templ_dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock >= 0) flock(lock, LOCK_EX);
    if (access(marker.c_str(), F_OK) != 0) {
      std::error_code ec;
      std::filesystem::remove_all(templ_dir, ec);
      mkdir(templ_dir.c_str(), 0700);
      if (as_postgres_) {
        const passwd* pw = getpwnam("postgres");
        if (chown(templ_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) error_ = "cannot chown " + templ_dir;
      }
      ProcessResult r = as_server_user(
          {Bin("initdb"), "-D", templ_dir + "/data", "-A", "trust", "-U", "yesno", "--no-sync", "-E", "UTF8"});
      if (r.exit_code != 0) {
        error_ = "initdb failed: " + r.err;
      } else {
        // Tests restart it often: no fsync (nothing here must survive a
        // crash of the machine), small shared buffers.
        std::ofstream conf(templ_dir + "/data/postgresql.conf", std::ios::app);
        conf << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
             << "max_connections = 100\n";
        conf.close();
        std::ofstream(marker) << "initdb done\n";
      }
    }
    if (lock >= 0) close(lock);
  }
  if (!error_.empty()) return;
  ProcessResult r = as_server_user({"/bin/cp", "-a", templ_dir + "/data", data_});
  if (r.exit_code != 0) {
    error_ = "cannot copy the template cluster: " + r.err;
    return;
  }
  ready_ = Start();
}

PostgresServer::~PostgresServer() {
  if (!data_.empty()) Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string PostgresServer::Url(const std::string& db) const {
  return "postgresql://yesno@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

bool PostgresServer::Start() {
  std::vector<std::string> argv = {Bin("pg_ctl"), "-D", data_, "-l", dir_ + "/server.log", "-w", "-t", "30", "-o",
                                   "-p " + std::to_string(port_) + " -k " + dir_ + " -c listen_addresses=127.0.0.1",
                                   "start"};
  if (as_postgres_) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  ProcessResult r = RunProcess(argv, "", std::chrono::seconds(40));
  if (r.exit_code != 0) {
    error_ = "pg_ctl start failed: " + r.out + r.err + "\n" + Log();
    return false;
  }
  return true;
}

bool PostgresServer::Stop() {
  std::vector<std::string> argv = {Bin("pg_ctl"), "-D", data_, "-m", "fast", "-w", "-t", "30", "stop"};
  if (as_postgres_) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  return RunProcess(argv, "", std::chrono::seconds(40)).exit_code == 0;
}

std::string PostgresServer::Sql(const std::string& db, const std::string& sql) const {
  ProcessResult r = RunProcess({Bin("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                                std::to_string(port_), "-U", "yesno", "-d", db, "-c", sql},
                               "", std::chrono::seconds(30));
  if (r.exit_code != 0) return "ERROR: " + r.err;
  return TrimEnd(r.out);
}

bool PostgresServer::CreateDatabase(const std::string& db) const {
  return Sql("postgres", "CREATE DATABASE " + db).rfind("ERROR", 0) != 0;
}

std::string PostgresServer::Dump(const std::string& db) const {
  ProcessResult r = RunProcess({Bin("pg_dump"), "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "yesno", db},
                               "", std::chrono::seconds(30));
  return r.exit_code == 0 ? r.out : "ERROR: " + r.err;
}

double PostgresServer::ServerCpuSeconds() const {
  std::ifstream pidfile(data_ + "/postmaster.pid");
  long postmaster = 0;
  if (!(pidfile >> postmaster)) return 0;
  double total = CpuSeconds(static_cast<pid_t>(postmaster));
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path().string() + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == postmaster) total += CpuSeconds(static_cast<pid_t>(std::stol(name)));
  }
  return total;
}

std::string PostgresServer::Log() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace yesno::testing
