// lib/train/train_options: the data-parallel keys — defaults, "tcp://HOST:PORT" and "env://"
// (torchrun's variables) resolved into the rendezvous, and each bad value refused by name.
#include "train/train_options.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>

#include "base/error.h"

namespace {

using wdc::train::parse_train_options;
using wdc::train::TrainOptions;

// The message of the Error that parsing `json` throws ("" if none).
std::string refusal(const std::string& json) {
  try {
    parse_train_options(json);
  } catch (const wdc::Error& e) {
    EXPECT_EQ(e.code(), wdc::ErrorCode::kConfig) << e.what();
    return e.what();
  }
  return "";
}

// Sets the torchrun variables for one test and removes them after it.
class TorchrunEnvironment : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(name);
  }
};

TEST(TrainOptions, OneRankByDefault) {
  const TrainOptions o = parse_train_options(R"({"synthetic": 10})");
  EXPECT_EQ(o.world_size, 1);
  EXPECT_EQ(o.rank, 0);
  EXPECT_TRUE(o.dist_host.empty());
  EXPECT_EQ(o.dist_timeout, 300);
  EXPECT_FALSE(o.sync_batch_norm);
}

TEST(TrainOptions, TcpUrlGivesTheRendezvous) {
  const TrainOptions o = parse_train_options(
      R"({"synthetic": 10, "world_size": 4, "rank": 3, "dist_url": "tcp://node-7.fab:29500",
          "dist_timeout": 60, "sync_batch_norm": true})");
  EXPECT_EQ(o.world_size, 4);
  EXPECT_EQ(o.rank, 3);
  EXPECT_EQ(o.dist_host, "node-7.fab");
  EXPECT_EQ(o.dist_port, 29500);
  EXPECT_EQ(o.dist_timeout, 60);
  EXPECT_TRUE(o.sync_batch_norm);
  const TrainOptions v6 = parse_train_options(
      R"({"synthetic": 10, "world_size": 2, "dist_url": "tcp://[fd00::7]:1234"})");
  EXPECT_EQ(v6.dist_host, "fd00::7");
  EXPECT_EQ(v6.dist_port, 1234);
}

TEST(TrainOptions, BadGroupsAreRefusedByName) {
  EXPECT_NE(refusal(R"({"synthetic": 10, "world_size": 2})").find("\"dist_url\" is needed"),
            std::string::npos);
  EXPECT_NE(refusal(R"({"synthetic": 10, "world_size": 2, "rank": 2, "dist_url": "tcp://h:1"})")
                .find("\"rank\" must be below world_size (2), got 2"),
            std::string::npos);
  for (const char* url : {"tcp://h", "tcp://:80", "tcp://h:0", "tcp://h:65536", "tcp://h:8x",
                          "udp://h:80", "h:80", "tcp://h:123456"})
    EXPECT_NE(
        refusal(std::string(R"({"synthetic": 10, "world_size": 2, "dist_url": ")") + url + "\"}")
            .find("\"dist_url\" must be \"tcp://HOST:PORT\""),
        std::string::npos)
        << url;
  EXPECT_NE(refusal(R"({"synthetic": 10, "world_size": 0})").find("\"world_size\""),
            std::string::npos);
  EXPECT_NE(refusal(R"({"synthetic": 10, "rank": -1})").find("\"rank\""), std::string::npos);
  EXPECT_NE(refusal(R"({"synthetic": 10, "dist_timeout": 0})").find("\"dist_timeout\""),
            std::string::npos);
  EXPECT_NE(refusal(R"({"synthetic": 10, "sync_batch_norm": 1})").find("\"sync_batch_norm\""),
            std::string::npos);
}

TEST_F(TorchrunEnvironment, EnvUrlReadsTheVariablesUnlessTheOptionsGiveThem) {
  ::setenv("WORLD_SIZE", "3", 1);
  ::setenv("RANK", "2", 1);
  ::setenv("MASTER_ADDR", "10.1.2.3", 1);
  ::setenv("MASTER_PORT", "29400", 1);
  const TrainOptions o = parse_train_options(R"({"synthetic": 10, "dist_url": "env://"})");
  EXPECT_EQ(o.world_size, 3);
  EXPECT_EQ(o.rank, 2);
  EXPECT_EQ(o.dist_host, "10.1.2.3");
  EXPECT_EQ(o.dist_port, 29400);
  const TrainOptions given =
      parse_train_options(R"({"synthetic": 10, "dist_url": "env://", "world_size": 5, "rank": 4})");
  EXPECT_EQ(given.world_size, 5);
  EXPECT_EQ(given.rank, 4);
}

TEST_F(TorchrunEnvironment, EnvUrlNamesTheMissingOrBadVariable) {
  EXPECT_NE(refusal(R"({"synthetic": 10, "dist_url": "env://"})").find("WORLD_SIZE is not set"),
            std::string::npos);
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("RANK", "1", 1);
  EXPECT_NE(refusal(R"({"synthetic": 10, "dist_url": "env://"})").find("MASTER_ADDR is not set"),
            std::string::npos);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", "80a", 1);
  EXPECT_NE(refusal(R"({"synthetic": 10, "dist_url": "env://"})").find("MASTER_PORT=\"80a\""),
            std::string::npos);
  ::setenv("MASTER_PORT", "80", 1);
  ::setenv("RANK", "2", 1);
  EXPECT_NE(refusal(R"({"synthetic": 10, "dist_url": "env://"})").find("\"rank\" must be below"),
            std::string::npos);
}

}  // namespace
