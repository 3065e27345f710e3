-- The Lobsters tables the demo uses: a subset of Lobsters' own schema.
-- Usernames use a binary collation so that ordering by username is byte order
-- everywhere (SQL and Go agree on ties).
CREATE TABLE IF NOT EXISTS users (
  id         INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username   VARCHAR(50) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  email      VARCHAR(100) NULL,
  karma      INT NOT NULL DEFAULT 0,
  about      TEXT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  banned_at  DATETIME NULL,
  deleted_at DATETIME NULL,
  UNIQUE KEY index_users_on_username (username),
  -- serves "most popular users": ORDER BY karma DESC, username ASC
  KEY index_users_on_karma (karma DESC, username ASC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS stories (
  id             INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id        INT UNSIGNED NOT NULL,
  short_id       VARCHAR(6) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title          VARCHAR(150) NOT NULL,
  url            VARCHAR(250) NULL,
  description    TEXT NULL,
  upvotes        INT UNSIGNED NOT NULL DEFAULT 0,
  downvotes      INT UNSIGNED NOT NULL DEFAULT 0,
  comments_count INT UNSIGNED NOT NULL DEFAULT 0,
  hotness        DOUBLE NOT NULL DEFAULT 0,
  created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY unique_short_id (short_id),
  KEY index_stories_on_user_id (user_id),
  KEY index_stories_on_hotness (hotness),
  KEY index_stories_on_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS comments (
  id                INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  story_id          INT UNSIGNED NOT NULL,
  user_id           INT UNSIGNED NOT NULL,
  parent_comment_id INT UNSIGNED NULL,
  comment           TEXT NOT NULL,
  upvotes           INT UNSIGNED NOT NULL DEFAULT 0,
  downvotes         INT UNSIGNED NOT NULL DEFAULT 0,
  created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY index_comments_on_story_id (story_id),
  KEY index_comments_on_user_id (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A vote is +1 or -1 on a story (comment_id NULL) or on a comment of that story.
CREATE TABLE IF NOT EXISTS votes (
  id         INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id    INT UNSIGNED NOT NULL,
  story_id   INT UNSIGNED NOT NULL,
  comment_id INT UNSIGNED NULL,
  vote       TINYINT NOT NULL,
  KEY index_votes_on_story_id (story_id),
  KEY index_votes_on_comment_id (comment_id),
  KEY index_votes_on_user_id (user_id),
  CONSTRAINT vote_is_one CHECK (vote IN (-1, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
