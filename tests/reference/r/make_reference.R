# Reference values for tests/stats from R (survival, stats). Run from the repository root:
#   Rscript tests/reference/r/make_reference.R
# Writes the CSVs beside this script: the input data (*_inputs.csv) and every value with the exact
# R call that produced it (column r_call). CI does not run R; it reads these files.
suppressMessages(library(survival))
out_dir <- "tests/reference/r"
versions <- sprintf("R %s, survival %s", paste(R.version$major, R.version$minor, sep = "."),
                    as.character(packageVersion("survival")))
rows <- list()
add <- function(case, quantity, value, call, group = "") {
  rows[[length(rows) + 1]] <<- data.frame(case = case, group = group, quantity = quantity,
                                          value = if (is.null(value) || length(value) == 0) NA else as.numeric(value),
                                          r_call = call, stringsAsFactors = FALSE)
}
fmt <- function(x) trimws(formatC(x, digits = 17, format = "g"))

# ---- survival data: random two-group data sets with tied integer days, and degenerate cases -----
set.seed(20240613)
inputs <- list()
for (i in 1:24) {
  na <- sample(4:60, 1); nb <- sample(4:60, 1)
  ta <- ceiling(rexp(na, 1 / runif(1, 5, 60))); tb <- ceiling(rexp(nb, 1 / runif(1, 5, 60)))
  ca <- ceiling(runif(na, 1, runif(1, 20, 200))); cb <- ceiling(runif(nb, 1, runif(1, 20, 200)))
  d <- data.frame(case = sprintf("random_%02d", i),
                  time = c(pmin(ta, ca), pmin(tb, cb)), status = as.integer(c(ta <= ca, tb <= cb)),
                  group = c(rep(1L, na), rep(0L, nb)), x2 = round(rnorm(na + nb), 2))
  inputs[[length(inputs) + 1]] <- d
}
lit <- function(case, time, status, group, x2 = rep(0, length(time))) {
  data.frame(case = case, time = time, status = as.integer(status), group = as.integer(group), x2 = x2)
}
inputs[[length(inputs) + 1]] <- lit("deg_no_events", c(1, 2, 3, 4, 5, 6), c(0, 0, 0, 0, 0, 0), c(1, 1, 1, 0, 0, 0),
                                    c(0.3, -1, 2, 0.5, 1, -0.2))
inputs[[length(inputs) + 1]] <- lit("deg_never_at_risk", c(5, 6, 7, 1, 1), c(1, 1, 1, 0, 0), c(0, 0, 0, 1, 1))
inputs[[length(inputs) + 1]] <- lit("deg_constant_x2", c(1, 2, 3, 4, 5, 6, 7, 8), c(1, 1, 0, 1, 1, 0, 1, 1),
                                    c(0, 1, 0, 1, 0, 1, 1, 0), rep(1, 8))
inputs[[length(inputs) + 1]] <- lit("deg_rare_tied", c(2, 2, 2, 2, 3, 3, 4, 5, 6, 9), c(1, 1, 1, 1, 1, 1, 0, 1, 1, 0),
                                    c(1, 0, 0, 0, 0, 0, 0, 0, 0, 0), c(0.1, 0.4, -0.3, 1.2, 0.8, -1, 0, 0.5, 0.2, -0.6))
inputs[[length(inputs) + 1]] <- lit("deg_monotone", c(1, 1, 2, 3, 4, 5, 6, 7), c(1, 1, 1, 1, 1, 0, 1, 1),
                                    c(1, 1, 0, 0, 0, 0, 0, 0), c(0.5, -0.5, 0.2, 0.1, -0.3, 0.9, -1.1, 0.4))
inputs[[length(inputs) + 1]] <- lit("deg_median_not_reached", c(1:10, 2:11), c(1, 1, 1, 1, rep(0, 6), 1, 0, 1, rep(0, 7)),
                                    c(rep(1, 10), rep(0, 10)))
inputs[[length(inputs) + 1]] <- lit("deg_median_plateau", c(1, 2, 3, 4, 1, 3, 5, 7, 9, 11), rep(1, 10),
                                    c(1, 1, 1, 1, 0, 0, 0, 0, 0, 0))
inputs[[length(inputs) + 1]] <- lit("deg_all_tied_end", c(3, 3, 3, 3, 3, 3), c(1, 1, 1, 1, 1, 1), c(1, 1, 1, 0, 0, 0))
surv_in <- do.call(rbind, inputs)
write.csv(surv_in, file.path(out_dir, "survival_inputs.csv"), row.names = FALSE)

TAU <- 60
for (cs in unique(surv_in$case)) {
  d <- surv_in[surv_in$case == cs, ]
  sel <- sprintf("d <- subset(read.csv('survival_inputs.csv'), case == '%s')", cs)
  # log-rank
  s <- try(survdiff(Surv(time, status) ~ group, data = d), silent = TRUE)
  if (!inherits(s, "try-error")) {
    call <- paste(sel, "; survdiff(Surv(time, status) ~ group, data = d)")
    add(cs, "logrank_chisq", s$chisq, paste0(call, "$chisq"))
    add(cs, "logrank_p", suppressWarnings(pchisq(s$chisq, sum(s$exp > 0) - 1, lower.tail = FALSE)),
        paste0(call, "$pvalue"))
    add(cs, "logrank_observed", s$obs[2], paste0(call, "$obs[2]  # group 1"), "1")
    add(cs, "logrank_expected", s$exp[2], paste0(call, "$exp[2]  # group 1"), "1")
  } else {
    add(cs, "logrank_error", 1, paste(sel, "; survdiff(...) fails:", gsub("[\r\n]", " ", s)))
  }
  # Cox: group + x2 (Efron)
  f <- suppressWarnings(coxph(Surv(time, status) ~ group + x2, data = d))
  call <- paste(sel, "; f <- coxph(Surv(time, status) ~ group + x2, data = d)")
  for (v in c("group", "x2")) {
    add(cs, "cox_coef", coef(f)[v], paste0(call, "; coef(f)['", v, "']"), v)
    add(cs, "cox_se", if (is.na(coef(f)[v])) NA else sqrt(diag(f$var))[match(v, names(coef(f))[!is.na(coef(f))])],
        paste0(call, "; sqrt(diag(f$var))  # NA coefficient: no variance row"), v)
    sm <- summary(f)$coefficients
    add(cs, "cox_p", sm[v, "Pr(>|z|)"], paste0(call, "; summary(f)$coefficients['", v, "', 'Pr(>|z|)']"), v)
  }
  add(cs, "cox_loglik0", f$loglik[1], paste0(call, "; f$loglik[1]"))
  add(cs, "cox_loglik", f$loglik[length(f$loglik)], paste0(call, "; f$loglik[2]"))
  add(cs, "cox_iter", f$iter, paste0(call, "; f$iter"))
  add(cs, "cox_nevent", f$nevent, paste0(call, "; f$nevent"))
  lr <- summary(f)$logtest
  add(cs, "cox_lr_chisq", lr["test"], paste0(call, "; summary(f)$logtest['test']"))
  add(cs, "cox_lr_df", lr["df"], paste0(call, "; summary(f)$logtest['df']"))
  add(cs, "cox_lr_p", lr["pvalue"], paste0(call, "; summary(f)$logtest['pvalue']"))
  # Cox with the group only (the lead's use: has / has not)
  f1 <- suppressWarnings(coxph(Surv(time, status) ~ group, data = d))
  call1 <- paste(sel, "; f1 <- coxph(Surv(time, status) ~ group, data = d)")
  add(cs, "cox1_coef", coef(f1)["group"], paste0(call1, "; coef(f1)"), "group")
  add(cs, "cox1_se", if (is.na(coef(f1)["group"])) NA else sqrt(f1$var[1, 1]), paste0(call1, "; sqrt(f1$var)"), "group")
  # Kaplan–Meier per group: median, its CI, rmean up to TAU
  km <- survfit(Surv(time, status) ~ group, data = d)
  tab <- summary(km, rmean = TAU)$table
  callk <- paste(sel, "; summary(survfit(Surv(time, status) ~ group, data = d), rmean =", TAU, ")$table")
  for (g in c(0, 1)) {
    r <- tab[paste0("group=", g), ]
    add(cs, "km_median", r["median"], paste0(callk, "['group=", g, "', 'median']"), g)
    add(cs, "km_median_lcl", r["0.95LCL"], paste0(callk, "['group=", g, "', '0.95LCL']"), g)
    add(cs, "km_median_ucl", r["0.95UCL"], paste0(callk, "['group=", g, "', '0.95UCL']"), g)
    add(cs, "rmean", r["rmean"], paste0(callk, "['group=", g, "', 'rmean']"), g)
    add(cs, "rmean_se", r["se(rmean)"], paste0(callk, "['group=", g, "', 'se(rmean)']"), g)
  }
  ra <- tab["group=1", ]; rb <- tab["group=0", ]
  dd <- ra["rmean"] - rb["rmean"]; se <- sqrt(ra["se(rmean)"]^2 + rb["se(rmean)"]^2)
  callr <- paste0("t <- ", callk, "; d <- t['group=1','rmean'] - t['group=0','rmean']; ",
                  "se <- sqrt(t['group=1','se(rmean)']^2 + t['group=0','se(rmean)']^2)")
  add(cs, "rmst_diff", dd, paste0(callr, "; d"))
  add(cs, "rmst_diff_se", se, paste0(callr, "; se"))
  add(cs, "rmst_diff_p", 2 * pnorm(-abs(dd / se)), paste0(callr, "; 2 * pnorm(-abs(d / se))"))
}
surv_out <- do.call(rbind, rows)
surv_out$value <- fmt(surv_out$value)
surv_out$versions <- versions
write.csv(surv_out, file.path(out_dir, "survival_reference.csv"), row.names = FALSE)

# ---- trends: glm(family = quasipoisson) and poisson --------------------------------------------
rows <- list()
set.seed(7)
tr_in <- list()
for (i in 1:12) {
  k <- sample(c(5, 5, 6, 7), 1)
  years <- 2021 - rev(seq_len(k)) + 1
  expo <- round(runif(k, 8e4, 1.2e5))
  mu <- expo * 3e-4 * exp(rnorm(1, 0, 0.08) * (years - mean(years)))
  y <- rnbinom(k, mu = mu, size = sample(c(5, 20, 1e6), 1))
  tr_in[[i]] <- data.frame(case = sprintf("trend_%02d", i), year = years, count = y, exposure = expo)
}
tr_in <- do.call(rbind, tr_in)
write.csv(tr_in, file.path(out_dir, "trend_inputs.csv"), row.names = FALSE)
for (cs in unique(tr_in$case)) {
  d <- tr_in[tr_in$case == cs, ]
  sel <- sprintf("d <- subset(read.csv('trend_inputs.csv'), case == '%s')", cs)
  for (fam in c("quasipoisson", "poisson")) for (tight in c(FALSE, TRUE)) {
    # R's default IRLS stops at a relative deviance change of 1e-8; "_tight" iterates to 1e-14.
    ctl <- if (tight) ", control = glm.control(epsilon = 1e-14, maxit = 100)" else ""
    f <- if (tight) glm(count ~ I(year - mean(year)) + offset(log(exposure)), family = fam, data = d,
                        control = glm.control(epsilon = 1e-14, maxit = 100))
         else glm(count ~ I(year - mean(year)) + offset(log(exposure)), family = fam, data = d)
    call <- sprintf("%s; f <- glm(count ~ I(year - mean(year)) + offset(log(exposure)), family = %s, data = d%s)",
                    sel, fam, ctl)
    q <- function(name) paste0(fam, "_", name, if (tight) "_tight" else "")
    co <- summary(f)$coefficients
    add(cs, q("estimate"), co[2, 1], paste0(call, "; summary(f)$coefficients[2, 1]"))
    add(cs, q("se"), co[2, 2], paste0(call, "; summary(f)$coefficients[2, 2]"))
    add(cs, q("p"), co[2, 4], paste0(call, "; summary(f)$coefficients[2, 4]"))
    add(cs, q("dispersion"), summary(f)$dispersion, paste0(call, "; summary(f)$dispersion"))
    add(cs, q("df_residual"), f$df.residual, paste0(call, "; f$df.residual"))
  }
}
tr_out <- do.call(rbind, rows)
tr_out$value <- fmt(tr_out$value)
tr_out$versions <- versions
write.csv(tr_out, file.path(out_dir, "trend_reference.csv"), row.names = FALSE)

# ---- detectability: thresholds by R's own tests, power solved with uniroot ----------------------
rows <- list()
phe_ci <- function(x, conf) {  # PHE: exact (poisson.test) below 10 events, Byar from 10
  if (x < 10) return(as.numeric(poisson.test(x, 1, conf.level = conf)$conf.int))
  z <- qnorm(0.5 + conf / 2)
  c(x * (1 - 1 / (9 * x) - z / (3 * sqrt(x)))^3, (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * sqrt(x + 1)))^3)
}
ratio_power <- function(r, e, lo, hi) ppois(hi - 1, r * e, lower.tail = FALSE) + (if (is.na(lo)) 0 else ppois(lo, r * e))
for (conf in c(0.95, 0.998)) for (e in c(0.5, 1, 2.5, 4, 7.3, 12, 30, 61.7, 150)) {
  hi <- 0; while (!(phe_ci(hi, conf)[1] > e)) hi <- hi + 1
  lo <- -1; while (phe_ci(lo + 1, conf)[2] < e) lo <- lo + 1
  lo <- if (lo < 0) NA else lo
  cs <- sprintf("phe_E%s_conf%s", e, conf)
  def <- "phe_ci <- function(x, conf) if (x < 10) poisson.test(x, 1, conf.level = conf)$conf.int else Byar; "
  add(cs, "events_high", hi, sprintf("%smin x with phe_ci(x, %s)[1] > %s", def, conf, e))
  add(cs, "events_low", lo, sprintf("%smax x with phe_ci(x, %s)[2] < %s (NA: none)", def, conf, e))
  up <- uniroot(function(r) ratio_power(r, e, lo, hi) - 0.8, c(1, 100), tol = 1e-12)$root
  add(cs, "upper_ratio", up, sprintf("uniroot(function(r) ppois(%d - 1, r * %s, lower.tail = FALSE) + ppois(lo, r * %s) - 0.8, c(1, 100))", hi, e, e))
  if (!is.na(lo)) {
    dn <- uniroot(function(r) ratio_power(r, e, lo, hi) - 0.8, c(1e-9, 1), tol = 1e-12)$root
    add(cs, "lower_ratio", dn, sprintf("uniroot(function(r) ppois(%d - 1, r * %s, lower.tail = FALSE) + ppois(%d, r * %s) - 0.8, c(1e-9, 1))", hi, e, lo, e))
  }
}
for (conf in c(0.95, 0.998)) for (n in c(8, 20, 45, 120)) for (p0 in c(0.3, 0.9)) {
  ci <- function(k) prop.test(k, n, correct = FALSE, conf.level = conf)$conf.int  # Wilson
  ks <- 0:n
  above <- sapply(ks, function(k) ci(k)[1] > p0); below <- sapply(ks, function(k) ci(k)[2] < p0)
  hi <- if (any(above)) min(ks[above]) else NA; lo <- if (any(below)) max(ks[below]) else NA
  cs <- sprintf("wilson_n%d_p%s_conf%s", n, p0, conf)
  wc <- sprintf("prop.test(k, %d, correct = FALSE, conf.level = %s)$conf.int", n, conf)
  add(cs, "events_high", hi, paste("min k with", wc, "[1] >", p0))
  add(cs, "events_low", lo, paste("max k with", wc, "[2] <", p0))
  pw <- function(p) (if (is.na(hi)) 0 else pbinom(hi - 1, n, p, lower.tail = FALSE)) + (if (is.na(lo)) 0 else pbinom(lo, n, p))
  if (!is.na(hi) && pw(1) > 0.8 && pw(p0) < 0.8)
    add(cs, "upper_share", uniroot(function(p) pw(p) - 0.8, c(p0, 1), tol = 1e-13)$root,
        sprintf("uniroot(function(p) pbinom(%d - 1, %d, p, lower.tail = FALSE) + pbinom(lo, %d, p) - 0.8, c(%s, 1))", hi, n, n, p0))
  if (!is.na(lo) && pw(0) > 0.8 && pw(p0) < 0.8)
    add(cs, "lower_share", uniroot(function(p) pw(p) - 0.8, c(0, p0), tol = 1e-13)$root,
        sprintf("uniroot(function(p) pbinom(hi - 1, %d, p, lower.tail = FALSE) + pbinom(%d, %d, p) - 0.8, c(0, %s))", n, lo, n, p0))
}
for (d in c(10, 40, 150)) for (a in c(0.5, 0.1)) {
  cs <- sprintf("schoenfeld_D%d_pi%s", d, a)
  add(cs, "upper_hr", exp((qnorm(0.975) + qnorm(0.8)) / sqrt(d * a * (1 - a))),
      sprintf("exp((qnorm(0.975) + qnorm(0.8)) / sqrt(%d * %s * (1 - %s)))", d, a, a))
}
pw_out <- do.call(rbind, rows)
pw_out$value <- fmt(pw_out$value)
pw_out$versions <- versions
write.csv(pw_out, file.path(out_dir, "power_reference.csv"), row.names = FALSE)
cat("wrote", nrow(surv_out), nrow(tr_out), nrow(pw_out), "reference values\n")
