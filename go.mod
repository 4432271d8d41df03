module github.com/analytics-client/analytics

go 1.26
